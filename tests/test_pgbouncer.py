"""A través de PgBouncer en modo transacción: toda la superficie del DAO funciona igual.

El test arranca su propio pgbouncer delante del servidor de pruebas (el embebido o el
configurado) y apunta el pool a él. Sin pgbouncer instalado se salta, con el motivo; con
CI=true, falla (ver `pgbouncer_instalado` en conftest.py).
"""

import os
import subprocess
import sys
import time

import pytest
from ayudas import RAIZ

from acceso_datos import pool as modulo_pool
from acceso_datos.conexion import Conexion
from acceso_datos.cursor_del_pool import CursorDelPool
from acceso_datos.errores import ServidorNoRespondeError
from acceso_datos.usuario import Usuario
from acceso_datos.usuario_dao import UsuarioDAO
from benchmarks.pgbouncer import PgBouncer
from tests.conftest import ENTORNO_DE_PRUEBAS

PASSWORD = "pgbouncer-123"
# Las suites del DAO (la de contrato, las piezas compartidas y cada DAO) que se repiten
# enteras a través de PgBouncer. Sin los tests lentos (memoria, reinicios: no dicen nada
# de PgBouncer) ni los que matan «el proceso de su conexión».
SUITES = [
    "tests/test_contrato_dao.py",
    "tests/test_dao_base.py",
    "tests/test_usuario_dao.py",
    "tests/test_persona_dao.py",
]
SELECCION = "not lento and not un_backend_por_conexion"
MARGEN = 5.0  # segundos sobre el plazo que se prueba: el reparto de la CPU, no un cuelgue
LIMITE_SUITE = 100  # segundos: la suite tarda unos pocos; más sería un cuelgue


@pytest.fixture(scope="module")
def pgbouncer(servidor_de_pruebas, pgbouncer_instalado):
    """Un pgbouncer en modo transacción delante del servidor de pruebas."""
    with PgBouncer(servidor_de_pruebas) as pgbouncer:
        yield pgbouncer


@pytest.fixture
def pool_por_pgbouncer(base_limpia, pgbouncer, monkeypatch):
    """El pool compartido, conectado a través de PgBouncer (las tablas ya vacías)."""
    monkeypatch.setenv("DB_HOST", "127.0.0.1")
    monkeypatch.setenv("DB_PORT", str(pgbouncer.puerto))
    Conexion.cerrar_conexiones()
    yield base_limpia
    en_uso = Conexion.estadisticas()["en_uso"]
    Conexion.cerrar_conexiones()
    assert en_uso == 0, f"el test dejó {en_uso} conexiones prestadas en el pool"


@pytest.mark.usefixtures("pool_por_pgbouncer")
def test_transacciones_con_cursor_e_iterar_funcionan_a_traves_de_pgbouncer():
    with CursorDelPool() as cursor:
        for numero in range(5):
            UsuarioDAO.insertar(Usuario(username=f"pgb{numero}", password=PASSWORD), cursor=cursor)
    # Un cursor con nombre (del servidor) vive dentro de su transacción: vale en este modo.
    nombres = [usuario.username for usuario in UsuarioDAO.iterar(tamano_lote=2)]

    assert nombres == [f"pgb{numero}" for numero in range(5)]
    assert UsuarioDAO.autenticar("pgb3", PASSWORD) is not None


def test_a_traves_de_pgbouncer_la_conexion_inactiva_se_valida_y_la_cortada_se_cambia(
    pool_por_pgbouncer, pgbouncer, monkeypatch
):
    # Cualquier conexión libre cuenta como inactiva: se valida (SELECT 1) al prestarla.
    monkeypatch.setattr(modulo_pool, "VALIDAR_SI_INACTIVA", -1.0)
    primera = Conexion.obtener_conexion()
    Conexion.liberar_conexion(primera)
    segunda = Conexion.obtener_conexion()
    Conexion.liberar_conexion(segunda)
    assert segunda is primera  # la validación a través de PgBouncer no la descarta

    # PgBouncer corta a todos sus clientes de la base: la conexión libre del pool queda rota.
    base = pool_por_pgbouncer.base
    pgbouncer.administrar(f'KILL "{base}"', f'RESUME "{base}"')

    assert UsuarioDAO.contar() == 0  # sin error: la validación la descubrió y la cambió
    tercera = Conexion.obtener_conexion()
    Conexion.liberar_conexion(tercera)
    assert tercera is not primera


@pytest.mark.usefixtures("pool_por_pgbouncer")
def test_db_query_timeout_acota_la_espera_tambien_a_traves_de_pgbouncer(monkeypatch):
    # El plazo lo mide el cliente (el vigía), no el parámetro de arranque `options`,
    # que PgBouncer rechaza: vale igual a través de él.
    monkeypatch.setenv("DB_QUERY_TIMEOUT", "1")
    Conexion.cerrar_conexiones()
    inicio = time.monotonic()

    with pytest.raises(ServidorNoRespondeError), CursorDelPool() as cursor:
        cursor.execute("SELECT pg_sleep(10)")

    assert time.monotonic() - inicio < 1 + MARGEN
    assert UsuarioDAO.contar() == 0  # el mismo pool sigue, a través del mismo PgBouncer


@pytest.mark.usefixtures("pool_por_pgbouncer")
def test_application_name_llega_al_servidor_a_traves_de_pgbouncer():
    with CursorDelPool() as cursor:
        # Dentro de la transacción, pg_backend_pid() es el proceso del servidor que la sirve.
        cursor.execute(
            "SELECT application_name, current_setting('application_name') "
            "FROM pg_stat_activity WHERE pid = pg_backend_pid()"
        )
        en_el_servidor, en_la_sesion = cursor.fetchone()

    nombre = ENTORNO_DE_PRUEBAS["DB_APPLICATION_NAME"]
    assert (en_el_servidor, en_la_sesion) == (nombre, nombre)


def test_la_suite_del_dao_pasa_entera_a_traves_de_pgbouncer(pgbouncer, tmp_path):
    entorno = {
        nombre: valor
        for nombre, valor in os.environ.items()
        if nombre != "PYTEST_ADDOPTS"  # su --basetemp es el de esta sesión: no se comparte
    }
    # Para la suite hija, PgBouncer es «el servidor configurado»: crea en él su base
    # desechable, la usa a través de PgBouncer y la borra al acabar.
    entorno.update(DB_HOST="127.0.0.1", DB_PORT=str(pgbouncer.puerto), DATABASE_URL="")
    orden = [sys.executable, "-m", "pytest", *SUITES, "-q", "-m", SELECCION]
    orden += ["-p", "no:cacheprovider", f"--basetemp={tmp_path / 'suite'}"]

    resultado = subprocess.run(
        orden, cwd=RAIZ, env=entorno, capture_output=True, text=True, timeout=LIMITE_SUITE
    )

    salida = resultado.stdout + resultado.stderr
    assert resultado.returncode == 0, salida[-4000:]
    assert " passed" in salida and " failed" not in salida and " skipped" not in salida
