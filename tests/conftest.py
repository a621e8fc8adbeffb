"""Fixtures comunes: un PostgreSQL real para la sesión y tablas vacías en cada test.

Si el entorno trae DATABASE_URL o DB_HOST, se usa ese servidor con una base desechable
creada para esta ejecución; si no, un PostgreSQL embebido en un directorio temporal.
Las funciones de ayuda (sin estado de pytest) están en ayudas.py.
"""

import base64
import hashlib
import logging
import os
import signal
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import psycopg2
import pytest
from ayudas import (
    directorio_fuera_de_pytest,
    pid_de_la_proxima_conexion,
    terminar_backend,
    vaciar_tablas,
)
from hypothesis import settings
from proxy_tcp import ProxyTCP
from psycopg2 import sql

from acceso_datos import pool as modulo_pool
from acceso_datos import seguridad
from acceso_datos.conexion import Conexion
from acceso_datos.configuracion import Configuracion, leer_configuracion
from acceso_datos.esquema import crear_esquema
from acceso_datos.logger_base import log
from acceso_datos.servidor_embebido import ServidorEmbebido, crear_base_si_falta
from benchmarks.pgbouncer import INSTALAR, buscar_pgbouncer

# Variables de quien desarrolla que cambian cómo escribe un programa: un alumno no las tiene,
# y con ellas un test que lee a otro proceso pasaría solo aquí (con PYTHONUNBUFFERED, la
# demo parecía vaciar su salida por una tubería, y no lo hacía).
for _variable in ("PYTHONUNBUFFERED", "PYTHONIOENCODING", "PYTHONUTF8"):
    os.environ.pop(_variable, None)

# En la terminal de un alumno, Ctrl-C y cerrar la terminal hacen lo de siempre. Lanzados en
# segundo plano (`make test &`, nohup, algunos CI), SIGINT o SIGHUP llegan ignorados, los
# programas que lanzan los tests lo heredarían, y los tests de Ctrl-C y de cerrar la
# terminal no probarían nada (o fallarían sin motivo).
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)
if hasattr(signal, "SIGHUP") and signal.getsignal(signal.SIGHUP) is signal.SIG_IGN:
    signal.signal(signal.SIGHUP, signal.SIG_DFL)

# Valores fijos para que un .env del alumno no cambie el resultado de los tests.
ENTORNO_DE_PRUEBAS = {
    "DATABASE_URL": "",
    "DB_POOL_MIN": "1",
    "DB_POOL_MAX": "5",
    "DB_POOL_TIMEOUT": "10",
    "DB_POOL_MAX_IDLE": "300",
    "DB_POOL_LEAK_WARN": "60",
    "DB_CONNECT_TIMEOUT": "3",
    # Solo atrapa cuelgues: los tests de un servidor que no contesta fijan uno corto.
    "DB_QUERY_TIMEOUT": "20",
    "DB_POOL_RESET": "",
    "DB_APPLICATION_NAME": "acceso_datos_tests",
    # Sin réplicas: las suyas las pone cada test de test_replicas.py.
    "DB_REPLICAS": "",
    "DATABASE_URL_REPLICAS": "",
    "DB_REPLICAS_POOL_MAX": "",
    "DB_REPLICAS_RETRASO_MAX": "",
    # Hashes baratos: la seguridad se prueba, no se paga (el coste real, en test_seguridad).
    "PASSWORD_SCRYPT_N": "1024",
    "PASSWORD_SCRYPT_P": "1",
    "LOG_LEVEL": "DEBUG",
}

# Tests de propiedades: sin plazo por ejemplo (el de hypothesis, 200 ms, haría fallar en
# una máquina cargada un ejemplo que va bien; los tests no miden tiempos).
settings.register_profile("acceso_datos", deadline=None)
settings.load_profile("acceso_datos")


@pytest.fixture(scope="session")
def servidor_de_pruebas(tmp_path_factory) -> Configuracion:
    """El servidor de la sesión; deja en el entorno DB_HOST, DB_NAME... apuntando a él."""
    guardado = dict(os.environ)
    configurado = os.environ.get("DATABASE_URL") or os.environ.get("DB_HOST")
    embebido = None
    directorios = ExitStack()
    if configurado:
        real = leer_configuracion(os.environ)
        configuracion = real.con(base=f"acceso_datos_test_{os.getpid()}")
    else:
        embebido = ServidorEmbebido(
            directorios.enter_context(directorio_fuera_de_pytest("pg")) / "datos"
        )
        configuracion = embebido.configurar(Configuracion(embebido=False, base="acceso_datos_test"))
    configuracion = configuracion.con(embebido=False)
    crear_base_si_falta(configuracion)
    os.environ.update(ENTORNO_DE_PRUEBAS)
    os.environ.update(
        DB_HOST=configuracion.host or "localhost",
        DB_PORT=str(configuracion.puerto),
        DB_NAME=configuracion.base,
        DB_USER=configuracion.usuario,
        DB_PASSWORD=configuracion.password or "",
        LOG_FILE=str(tmp_path_factory.mktemp("log") / "tests.log"),
    )
    try:
        yield configuracion
    finally:
        Conexion.cerrar_conexiones()
        os.environ.clear()
        os.environ.update(guardado)
        if embebido is not None:
            embebido.detener()
            directorios.close()
        else:
            _borrar_base(configuracion)


def _borrar_base(configuracion: Configuracion) -> None:
    conexion = psycopg2.connect(**configuracion.con(base="postgres").parametros_conexion())
    try:
        conexion.autocommit = True
        with conexion.cursor() as cursor:
            cursor.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(configuracion.base)
                )
            )
    finally:
        conexion.close()


@pytest.fixture
def directorio_temporal() -> Iterator[Path]:
    """Un directorio temporal para el servidor propio de un test: no puede vivir bajo
    tmp_path (ver ayudas.directorio_fuera_de_pytest)."""
    with directorio_fuera_de_pytest("test") as directorio:
        yield directorio


@pytest.fixture
def base_limpia(servidor_de_pruebas) -> Configuracion:
    """Esquema al día y todas sus tablas vacías antes del test; nada prestado al terminar."""
    Conexion.cerrar_conexiones()
    crear_esquema()
    vaciar_tablas()
    yield servidor_de_pruebas
    _comprobar_que_nada_quedo_prestado()


@pytest.fixture
def base_nueva(servidor_de_pruebas, monkeypatch) -> Iterator[Configuracion]:
    """Una base recién creada, sin tablas, en el servidor de la sesión; el pool apunta a ella
    durante el test y se borra al final. Para probar el esquema sin tocar la de los demás."""
    configuracion = servidor_de_pruebas.con(base=f"{servidor_de_pruebas.base}_nueva")
    _borrar_base(configuracion)  # por si la dejó una ejecución interrumpida
    crear_base_si_falta(configuracion)
    monkeypatch.setenv("DB_NAME", configuracion.base)
    Conexion.cerrar_conexiones()
    try:
        yield configuracion
        _comprobar_que_nada_quedo_prestado()
    finally:
        Conexion.cerrar_conexiones()
        _borrar_base(configuracion)


def _comprobar_que_nada_quedo_prestado() -> None:
    en_uso = Conexion.estadisticas()["en_uso"]
    Conexion.cerrar_conexiones()
    assert en_uso == 0, f"el test dejó {en_uso} conexiones prestadas en el pool"


@pytest.fixture
def observador(base_limpia) -> Iterator[psycopg2.extensions.connection]:
    """Conexión directa, fuera del pool y con otro application_name, para mirar el servidor
    (lo confirmado, pg_stat_activity) y terminar procesos."""
    parametros = base_limpia.con(application_name="acceso_datos_observador").parametros_conexion()
    conexion = psycopg2.connect(**parametros)
    conexion.autocommit = True  # cada consulta ve el estado actual
    yield conexion
    conexion.close()


@pytest.fixture
def matar_backend(observador) -> Callable[[int], None]:
    """Termina el proceso del servidor con ese pid y espera (hasta 5 s) a que termine."""
    return lambda pid: terminar_backend(observador, pid)


@pytest.fixture
def matar_la_proxima_conexion(matar_backend, monkeypatch) -> Callable[[], None]:
    """Mata el proceso de la conexión que el pool prestará a continuación, y hace que el pool
    la preste sin revisarla: la siguiente llamada descubre la conexión perdida."""
    # Sin esto, si la máquina va lenta y la conexión lleva más de 1 s libre, el pool la
    # revisaría y la cambiaría por otra: no se probaría lo que se quiere probar.
    monkeypatch.setattr(modulo_pool, "VALIDAR_SI_INACTIVA", 3600.0)
    return lambda: matar_backend(pid_de_la_proxima_conexion())


@pytest.fixture
def derivaciones(monkeypatch) -> list[tuple[int, int, int]]:
    """Anota los (N, r, p) de cada derivación scrypt que se hace, y la hace de verdad salvo
    que pase de 256 MiB o de p = 16: entonces el test falla sin agotar la memoria ni colgarse."""
    anotadas = []
    original = seguridad._scrypt

    def anotar(password, sal, n, r, p):
        if 128 * n * r > 256 * 2**20 or p > 16:
            pytest.fail(f"se intentó una derivación scrypt desmedida: N={n}, r={r}, p={p}")
        anotadas.append((n, r, p))
        return original(password, sal, n, r, p)

    monkeypatch.setattr(seguridad, "_scrypt", anotar)
    return anotadas


@pytest.fixture
def hash_antiguo():
    """Hace hashes como los guardaba la versión anterior: prefijo `scrypt`, p = 1 y la
    contraseña tal cual, sin normalizar."""

    def hacer(password: str, n: int = 1024) -> str:
        sal = os.urandom(16)
        derivada = hashlib.scrypt(password.encode(), salt=sal, n=n, r=8, p=1, dklen=32)
        en_base64 = [base64.b64encode(datos).decode() for datos in (sal, derivada)]
        return "$".join(["scrypt", str(n), "8", "1", *en_base64])

    return hacer


@pytest.fixture
def logging_restaurado():
    """Deja el logger raíz y el de la biblioteca como estaban antes del test."""
    raiz = logging.getLogger()
    manejadores, nivel_raiz, nivel_biblioteca = list(raiz.handlers), raiz.level, log.level
    yield
    for manejador in list(raiz.handlers):
        raiz.removeHandler(manejador)
        if manejador not in manejadores:
            manejador.close()
    for manejador in manejadores:
        raiz.addHandler(manejador)
    raiz.setLevel(nivel_raiz)
    log.setLevel(nivel_biblioteca)


@pytest.fixture
def proxy(base_limpia, monkeypatch) -> ProxyTCP:
    """Un proxy TCP entre el pool y el servidor de pruebas, que el test puede congelar.

    El pool se vuelve a crear apuntando al proxy; al final se cierra primero el proxy (lo
    que siguiera esperando a través de él recibe un error) y después el pool."""
    with ProxyTCP(base_limpia.host or "localhost", base_limpia.puerto) as intermediario:
        monkeypatch.setenv("DB_HOST", "127.0.0.1")
        monkeypatch.setenv("DB_PORT", str(intermediario.puerto))
        Conexion.cerrar_conexiones()
        try:
            yield intermediario
        finally:
            intermediario.cerrar()
            Conexion.cerrar_conexiones()


@pytest.fixture(scope="session")
def pgbouncer_instalado() -> str:
    """La ruta de pgbouncer; sin él, el test se salta (y en el CI, falla: debe instalarlo)."""
    binario = buscar_pgbouncer()
    if binario is None:
        motivo = f"pgbouncer no está instalado: {INSTALAR}"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true y {motivo}. .ci/run lo instala cuando es root con apt-get.")
        pytest.skip(motivo)
    return binario


def pytest_collection_modifyitems(items):
    # Matar «el proceso del servidor de esta conexión» supone un proceso por conexión del
    # cliente; a través de PgBouncer en modo transacción cada transacción puede ir a otro.
    for item in items:
        if "matar_backend" in getattr(item, "fixturenames", ()):
            item.add_marker("un_backend_por_conexion")
