"""`python -m acceso_datos.demo_pool`, ejecutada como la ejecuta un alumno (otro proceso)."""

import os
import re
import signal
import socket
import subprocess
import sys

import pytest
from ayudas import RAIZ, problemas_de_idioma
from menu_en_proceso import Conversacion, esperar_a_que_lea

from acceso_datos.cursor_del_pool import CursorDelPool

LIMITE_DEMO = 60  # segundos: solo para detectar un cuelgue (la demo tarda unos 7 s)


def ejecutar_demo(entorno) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "acceso_datos.demo_pool"],
        cwd=RAIZ,
        env=entorno,
        capture_output=True,
        text=True,
        timeout=LIMITE_DEMO,
    )


def cifra(patron: str, salida: str) -> int:
    encontrada = re.search(patron, salida)
    assert encontrada, f"no aparece {patron!r} en la salida:\n{salida}"
    return int(encontrada[1])


def segundos(patron: str, salida: str) -> float:
    """Una duración escrita con coma decimal («1,0 s»), como número."""
    encontrada = re.search(patron, salida)
    assert encontrada, f"no aparece {patron!r} en la salida:\n{salida}"
    return float(encontrada[1].replace(",", "."))


@pytest.fixture(scope="module")
def demo(servidor_de_pruebas) -> subprocess.CompletedProcess:
    """Una ejecución de la demostración con los valores del curso, para todos los tests."""
    entorno = {
        nombre: valor for nombre, valor in os.environ.items() if not nombre.startswith("DB_POOL")
    }
    resultado = ejecutar_demo(entorno)
    assert resultado.returncode == 0, resultado.stdout + resultado.stderr
    return resultado


def test_demo_sin_trazas_y_en_espanol(demo):
    assert "Traceback" not in demo.stdout + demo.stderr
    assert problemas_de_idioma(demo.stdout) == []
    assert "AVISO" in demo.stderr  # el paso 4 espera más de 1 s: el aviso sale en la consola
    assert problemas_de_idioma(demo.stderr) == []


def test_demo_el_pool_del_curso_falla_de_verdad_en_la_sexta(demo):
    salida = demo.stdout
    assert "Paso 1. El pool del curso: SimpleConnectionPool(1, 5) y una sexta" in salida
    for numero in range(1, 6):
        assert f"  getconn() {numero}: conexión obtenida" in salida
    assert segundos(r"getconn\(\) 6: PoolError tras (\d+,\d+) s", salida) < 1
    assert "«connection pool exhausted»" in salida  # el mensaje de psycopg2, tal cual


def test_demo_agota_las_cinco_y_la_sexta_espera_y_se_rinde(demo):
    salida = demo.stdout
    for numero in range(1, 6):
        assert f"conexión {numero} tomada   -> en uso {numero}, libres 0" in salida
    assert segundos(r"PoolAgotadoError tras (\d+,\d) s", salida) >= 1.9  # los 2 s pedidos
    assert "Las 5 conexiones del pool siguen en uso" in salida


def test_demo_espera_de_verdad_a_que_otro_hilo_devuelva_la_conexion(demo):
    salida = demo.stdout
    # El otro hilo la retiene 1 s desde que ve a alguien esperando.
    assert segundos(r"la conexión llegó tras esperar (\d+,\d) s", salida) >= 0.9
    assert "la conexión llegó tras esperar" in salida
    assert "Es la misma conexión que el otro hilo acaba de devolver" in salida


def test_demo_explica_las_libres_sobre_el_minimo_y_las_ve_cerrarse(demo):
    salida = demo.stdout
    assert "Paso 5. Devolver todas las conexiones\n" in salida
    assert "  en uso 0, libres 5, esperando 0\nHay 5 libres aunque el mínimo es 1" in salida
    assert "DB_POOL_MAX_IDLE" in salida
    assert re.search(r"sin uso, un préstamo y su devolución -> en uso 0, libres 1,", salida)


def test_demo_un_error_dentro_del_with_se_deshace_y_la_conexion_vuelve(demo):
    salida = demo.stdout
    assert "dentro del with: INSERT de la persona" in salida
    assert "en ese momento -> en uso 1," in salida
    assert "la excepción sale del with: FalloDeLaDemostracion" in salida
    assert "personas guardadas con ese correo electrónico: 0 -> en uso 0," in salida
    with CursorDelPool() as cursor:
        cursor.execute("SELECT count(*) FROM persona WHERE email LIKE 'demo-%%'")
        assert cursor.fetchone()[0] == 0


def test_demo_veinte_hilos_comparten_cinco_conexiones_sin_fugas(demo):
    salida = demo.stdout
    assert cifra(r"operaciones hechas: (\d+) de 500", salida) == 500
    assert 1 <= cifra(r"pico de conexiones en uso a la vez: (\d+)", salida) <= 5
    assert 1 <= cifra(r"conexiones distintas del servidor que las atendieron: (\d+)", salida) <= 5
    assert cifra(r"conexiones prestadas al terminar: (\d+)", salida) == 0


def test_demo_sin_servidor_explica_el_fallo_sin_traza_y_sale_con_estado_1(tmp_path):
    with socket.socket() as sin_servidor:
        sin_servidor.bind(("127.0.0.1", 0))  # un puerto libre: nadie escucha en él
        puerto = sin_servidor.getsockname()[1]
    entorno = {
        **os.environ,
        "DATABASE_URL": "",
        "DB_HOST": "127.0.0.1",
        "DB_PORT": str(puerto),
        "DB_CONNECT_TIMEOUT": "3",
        "LOG_FILE": str(tmp_path / "demo.log"),
    }

    resultado = ejecutar_demo(entorno)

    assert resultado.returncode == 1
    assert "Traceback" not in resultado.stdout + resultado.stderr
    assert (
        f"Sin conexión con la base de datos: No se pudo conectar a PostgreSQL en 127.0.0.1:{puerto}"
        in resultado.stderr
    )
    assert "Paso 1" not in resultado.stdout


def test_demo_con_configuracion_no_valida_lo_explica_sin_traza_y_sale_con_estado_1(tmp_path):
    entorno = {**os.environ, "DB_QUERY_TIMEOUT": "0", "LOG_FILE": str(tmp_path / "demo.log")}

    resultado = ejecutar_demo(entorno)

    assert resultado.returncode == 1
    assert resultado.stderr.startswith("Error de configuración: DB_QUERY_TIMEOUT=0 no vale")
    assert "Traceback" not in resultado.stdout + resultado.stderr


@pytest.mark.usefixtures("base_limpia")
def test_ctrl_c_durante_la_demo_sale_sin_traza_y_con_estado_1(tmp_path):
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        pytest.skip("quien lanzó pytest ignora SIGINT, y la demo lo heredaría")
    # La demo escribe en una tubería: sin PYTHONUNBUFFERED, Python guarda su salida y el texto
    # que se espera llega al terminar (en un entorno limpio, `env -i`, el test fallaba).
    entorno = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with open(tmp_path / "errores.txt", "wb") as errores:
        proceso = subprocess.Popen(
            [sys.executable, "-m", "acceso_datos.demo_pool"],
            cwd=RAIZ, env=entorno, stdout=subprocess.PIPE, stderr=errores,
        )  # fmt: skip
    try:
        demo = Conversacion(proceso.stdout.fileno(), escritura=-1)  # la demo no lee nada
        demo.esperar("la petición espera y al final se rinde...")  # paso 3: espera su turno
        esperar_a_que_lea(proceso.pid)

        proceso.send_signal(signal.SIGINT)

        assert proceso.wait(LIMITE_DEMO) == 1
        assert "Paso 4" not in demo.resto()
    finally:
        if proceso.poll() is None:
            proceso.kill()
            proceso.wait(LIMITE_DEMO)
        proceso.stdout.close()
    assert (tmp_path / "errores.txt").read_text() == "\nInterrumpido.\n"
