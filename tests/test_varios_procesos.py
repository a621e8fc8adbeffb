"""Muchos procesos contra un servidor pequeño: 8 procesos × pool (mínimo 1, máximo 5) × 6 hilos.

Directos contra un PostgreSQL con max_connections=20 no caben (pedirían hasta 40
conexiones): los que se quedan fuera reciben un ConexionError que explica qué hacer, nunca
una traza ni un error de psycopg2. A través de PgBouncer con 10 conexiones al servidor,
ninguno falla y el servidor nunca ve más de 10.
"""

import os
import threading
from collections import Counter

import psycopg2
import pytest
from ayudas import directorio_fuera_de_pytest

from acceso_datos.conexion import Conexion
from acceso_datos.cursor_del_pool import CursorDelPool
from acceso_datos.errores import ConexionError
from acceso_datos.esquema import crear_esquema
from acceso_datos.pool import PoolConexiones
from benchmarks.base_de_medida import llenar_usuarios
from benchmarks.pgbouncer import PgBouncer
from benchmarks.servidores_locales import ServidorLocal
from benchmarks.varios_procesos import Trabajadores

PROCESOS, HILOS, OPERACIONES = 8, 6, 15
USUARIOS = 100
PAUSA = 0.005  # segundos de cada transacción: así cada pool llega a usar sus 5 conexiones
MAX_CONNECTIONS = 20
POOL_DE_PGBOUNCER = 10
CONSEJO = "Baje DB_POOL_MAX o ponga PgBouncer delante"


@pytest.fixture(scope="module")
def servidor_pequeno():
    """Un PostgreSQL con max_connections=20, como el de un plan gratuito en la nube."""
    with directorio_fuera_de_pytest("max20") as carpeta:
        servidor = ServidorLocal.nuevo(carpeta, {"max_connections": str(MAX_CONNECTIONS)})
        try:
            servidor.arrancar()
            yield servidor
        finally:
            servidor.parar_si_sigue()


@pytest.fixture
def con_usuarios(servidor_pequeno, servidor_de_pruebas, monkeypatch):
    """El esquema y unos usuarios en el servidor pequeño; el pool de este proceso, cerrado."""
    configuracion = servidor_pequeno.configuracion()
    for nombre, valor in {
        "DB_HOST": configuracion.host,
        "DB_PORT": str(configuracion.puerto),
        "DB_NAME": configuracion.base,
        "DB_USER": configuracion.usuario,
        "DB_PASSWORD": "",
    }.items():
        monkeypatch.setenv(nombre, valor)
    Conexion.cerrar_conexiones()
    crear_esquema()
    with CursorDelPool() as cursor:
        cursor.execute("TRUNCATE usuario")
        llenar_usuarios(cursor, USUARIOS)
    Conexion.cerrar_conexiones()  # las conexiones son para los procesos
    yield monkeypatch
    Conexion.cerrar_conexiones()


def _ronda(entorno) -> list[dict]:
    with Trabajadores(PROCESOS, HILOS, entorno, USUARIOS) as trabajadores:
        return trabajadores.ronda({"operaciones": OPERACIONES, "pausa": PAUSA})


def _sumar(resultados: list[dict]) -> tuple[int, Counter, list[str], list[str]]:
    errores = Counter()
    mensajes, crudos = [], []
    for resultado in resultados:
        errores.update(resultado["errores"])
        mensajes += resultado["mensajes"]
        crudos += resultado["crudos"]
    return sum(resultado["hechas"] for resultado in resultados), errores, mensajes, crudos


def test_sin_huecos_en_el_servidor_el_error_aconseja_bajar_db_pool_max_o_pgbouncer(
    servidor_pequeno,
):
    ocupadas = []
    try:
        # Se llena el servidor hasta que rechace una conexión (SQLSTATE 53300).
        with pytest.raises(psycopg2.OperationalError, match="too many clients"):
            for _ in range(MAX_CONNECTIONS + 1):
                ocupadas.append(servidor_pequeno.conectar())
        with pytest.raises(ConexionError) as error:
            PoolConexiones(servidor_pequeno.configuracion())
    finally:
        for conexion in ocupadas:
            conexion.close()

    mensaje = str(error.value)
    assert "el servidor no admite más conexiones (SQLSTATE 53300)" in mensaje
    assert CONSEJO in mensaje
    assert "Traceback" not in mensaje


def test_directos_los_procesos_que_no_caben_reciben_conexion_error_con_el_consejo(con_usuarios):

    hechas, errores, mensajes, crudos = _sumar(_ronda(os.environ))

    assert crudos == []
    # Hubo rechazos (40 conexiones no caben en 20), y todos son ConexionError con consejo.
    assert set(errores) == {"ConexionError"}
    assert mensajes and all(CONSEJO in mensaje for mensaje in mensajes), mensajes
    assert hechas > 0  # los que sí cupieron trabajaron


def test_a_traves_de_pgbouncer_ninguno_falla_y_el_servidor_ve_10_conexiones_como_mucho(
    con_usuarios, servidor_pequeno, pgbouncer_instalado
):

    observadas = []
    parar = threading.Event()

    def observar() -> None:
        # Cuenta los procesos de cliente del servidor (todos de PgBouncer, menos este).
        conexion = servidor_pequeno.conectar()
        try:
            with conexion.cursor() as cursor:
                while True:
                    cursor.execute(
                        "SELECT count(*) FROM pg_stat_activity "
                        "WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()"
                    )
                    observadas.append(cursor.fetchone()[0])
                    if parar.wait(0.01):  # sondeo de la medida, no sincronización
                        return
        finally:
            conexion.close()

    with PgBouncer(servidor_pequeno.configuracion(), tamano_pool=POOL_DE_PGBOUNCER) as pgbouncer:
        por_pgbouncer = pgbouncer.configuracion()
        entorno = {**os.environ, "DB_HOST": "127.0.0.1", "DB_PORT": str(por_pgbouncer.puerto)}
        observador = threading.Thread(target=observar)
        observador.start()
        try:
            resultados = _ronda(entorno)
        finally:
            parar.set()
            observador.join(30)

    hechas, errores, mensajes, crudos = _sumar(resultados)
    assert (crudos, dict(errores), mensajes) == ([], {}, [])
    assert hechas == PROCESOS * HILOS * OPERACIONES
    print(f"\nconexiones al servidor vistas a través de PgBouncer: como mucho {max(observadas)}")
    assert 0 < max(observadas) <= POOL_DE_PGBOUNCER
