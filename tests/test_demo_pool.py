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
    """Una ejecución de la demostración con los valores del curso, para todos los tests,
    como `make demo 2>&1 | tee salida.txt`: la salida y los errores por la misma tubería."""
    entorno = {
        nombre: valor for nombre, valor in os.environ.items() if not nombre.startswith("DB_POOL")
    }
    resultado = subprocess.run(
        [sys.executable, "-m", "acceso_datos.demo_pool"], cwd=RAIZ, env=entorno,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=LIMITE_DEMO,
    )  # fmt: skip
    assert resultado.returncode == 0, resultado.stdout
    return resultado


def test_demo_sin_trazas_y_en_espanol(demo):
    assert "Traceback" not in demo.stdout
    assert problemas_de_idioma(demo.stdout) == []


def test_por_una_tuberia_cada_linea_sale_cuando_se_escribe(demo):
    # El aviso del paso 4 (espera más de 1 s) va por stderr, que nunca espera; si stdout
    # guardara sus líneas hasta el final, el aviso saldría encima del título.
    salida = demo.stdout
    assert salida.startswith("\nDemostración del pool de conexiones\n"), salida[:300]
    aviso = salida.index("AVISO")
    assert salida.index("Paso 4. Esperar") < aviso < salida.index("la conexión llegó tras")


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
    # El alta es la de un usuario, con su DAO: el laboratorio es de usuarios.
    assert "dentro del with: `UsuarioDAO.insertar(usuario, cursor=cursor)` le dio el id" in salida
    assert "en ese momento -> en uso 1," in salida
    assert "la excepción sale del with: FalloDeLaDemostracion" in salida
    assert "usuarios guardados con ese nombre: 0 -> en uso 0," in salida
    with CursorDelPool() as cursor:
        cursor.execute("SELECT count(*) FROM usuario WHERE username LIKE 'demo-%%'")
        assert cursor.fetchone()[0] == 0


def test_demo_explica_que_los_ids_de_un_rollback_no_se_reutilizan(demo):
    salida = demo.stdout
    primero = cifra(r"le dio el id (\d+), aún sin confirmar", salida)
    segundo = cifra(r"otra alta, deshecha también, recibe el id (\d+)", salida)

    assert segundo > primero  # de verdad: la segunda alta no reutilizó el id de la primera
    assert f"recibe el id {segundo}: el {primero} no se reutiliza" in salida
    assert "una secuencia no vuelve atrás con el rollback" in " ".join(salida.split())
    assert salida.index("Paso 6.") < salida.index("no se reutiliza") < salida.index("Paso 7.")


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
    with open(tmp_path / "errores.txt", "wb") as errores:
        proceso = subprocess.Popen(
            [sys.executable, "-m", "acceso_datos.demo_pool"],
            cwd=RAIZ, env=os.environ, stdout=subprocess.PIPE, stderr=errores,
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
