"""Una conexión devuelta vuelve como nueva: sin la transacción ni la sesión del anterior.

Cada test deja la conexión «sucia» como la dejaría un programa, la devuelve y comprueba,
con la misma conexión (mismo proceso del servidor), que el siguiente no hereda nada.
"""

import contextlib
import logging
import threading

import psycopg2
import pytest
from ayudas import pid_de, usernames_confirmados

from acceso_datos.conexion import Conexion
from acceso_datos.conexion_del_pool import ConexionDelPool
from acceso_datos.cursor_del_pool import CursorDelPool
from acceso_datos.errores import ErrorAccesoDatos
from acceso_datos.usuario import Usuario
from acceso_datos.usuario_dao import UsuarioDAO

PASSWORD = "Clave-De-Bea-123"
INSERTAR = "INSERT INTO usuario (username, password) VALUES (%s, 'x')"
COTA_CUELGUE = 10.0


def _consultar(conexion, sql: str):
    with conexion.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()[0]


def _reiniciar_pool(monkeypatch, **variables: str) -> None:
    for nombre, valor in variables.items():
        monkeypatch.setenv(nombre, valor)
    Conexion.cerrar_conexiones()


def _devolver_y_tomar_la_misma(conexion) -> ConexionDelPool:
    """Devuelve la conexión y la vuelve a pedir: el pool presta la última devuelta."""
    Conexion.liberar_conexion(conexion)
    otra = Conexion.obtener_conexion()
    assert otra is conexion, "no es la misma conexión: el test no probaría nada"
    return otra


# --- la transacción que dejó abierta ---------------------------------------------------


@pytest.mark.parametrize("vuelve_con_autocommit", [True, False], ids=["autocommit", "sin"])
def test_un_begin_propio_en_autocommit_se_deshace_y_el_siguiente_no_lo_confirma(
    observador, vuelve_con_autocommit
):
    conexion = Conexion.obtener_conexion()
    conexion.autocommit = True  # psycopg2 ya no abre transacciones: las abre el programa
    with conexion.cursor() as cursor:
        cursor.execute("BEGIN")
        cursor.execute(INSERTAR, ("a_medias",))
    # Quitar el autocommit no la cierra: el servidor sigue dentro de la transacción.
    conexion.autocommit = vuelve_con_autocommit
    Conexion.liberar_conexion(conexion)

    UsuarioDAO.insertar(Usuario(username="bea", password=PASSWORD))

    assert usernames_confirmados(observador) == ["bea"]
    assert Conexion.estadisticas()["en_uso"] == 0


# --- lo que set_session cambia ----------------------------------------------------------


def test_readonly_y_serializable_no_pasan_al_siguiente(observador):
    conexion = Conexion.obtener_conexion()
    conexion.set_session(readonly=True, isolation_level="SERIALIZABLE", deferrable=True)
    assert _consultar(conexion, "SHOW transaction_read_only") == "on"
    conexion.commit()

    otra = _devolver_y_tomar_la_misma(conexion)
    try:
        assert (otra.readonly, otra.isolation_level, otra.deferrable) == (None, None, None)
        assert _consultar(otra, "SHOW transaction_read_only") == "off"
        assert _consultar(otra, "SHOW transaction_isolation") == "read committed"
        assert _consultar(otra, "SHOW transaction_deferrable") == "off"
        otra.rollback()
    finally:
        Conexion.liberar_conexion(otra)
    # Sin el restablecimiento, esto fallaría con ReadOnlySqlTransaction.
    UsuarioDAO.insertar(Usuario(username="bea", password=PASSWORD))
    assert usernames_confirmados(observador) == ["bea"]


def test_readonly_puesto_en_autocommit_no_queda_en_la_sesion(observador):
    # En autocommit, psycopg2 lo guarda en el servidor (default_transaction_read_only).
    conexion = Conexion.obtener_conexion()
    conexion.autocommit = True
    conexion.set_session(readonly=True, isolation_level="REPEATABLE READ")
    assert _consultar(conexion, "SHOW default_transaction_read_only") == "on"

    otra = _devolver_y_tomar_la_misma(conexion)
    try:
        assert otra.autocommit is False
        assert _consultar(otra, "SHOW default_transaction_read_only") == "off"
        assert _consultar(otra, "SHOW default_transaction_isolation") == "read committed"
        otra.rollback()
    finally:
        Conexion.liberar_conexion(otra)
    UsuarioDAO.insertar(Usuario(username="bea", password=PASSWORD))
    assert usernames_confirmados(observador) == ["bea"]


def test_devolver_una_conexion_limpia_no_va_al_servidor(proxy):
    conexion = Conexion.obtener_conexion()
    _consultar(conexion, "SELECT 1")
    conexion.commit()
    enviadas = len(proxy.consultas)

    Conexion.liberar_conexion(conexion)

    assert proxy.consultas[enviadas:] == []


def test_restablecer_lo_que_cambio_set_session_no_cuesta_un_viaje(proxy):
    # Fuera de autocommit, readonly o el aislamiento solo viajan en el BEGIN de psycopg2.
    conexion = Conexion.obtener_conexion()
    conexion.set_session(readonly=True, isolation_level="SERIALIZABLE")
    _consultar(conexion, "SELECT 1")
    conexion.commit()
    enviadas = len(proxy.consultas)

    otra = _devolver_y_tomar_la_misma(conexion)
    assert proxy.consultas[enviadas:] == []  # ni SET ni ROLLBACK al devolverla
    _consultar(otra, "SELECT 1")
    otra.commit()
    Conexion.liberar_conexion(otra)

    assert proxy.consultas[enviadas:] == ["BEGIN", "SELECT 1", "COMMIT"]


# --- DB_POOL_RESET: el estado de la sesión que psycopg2 no conoce ----------------------


@pytest.fixture
def con_discard_all(base_limpia, monkeypatch):
    _reiniciar_pool(monkeypatch, DB_POOL_RESET="DISCARD ALL")
    yield
    Conexion.cerrar_conexiones()


@pytest.fixture
def otro_esquema(observador):
    """Un esquema `otro` con su propia tabla usuario, con una fila."""
    with observador.cursor() as cursor:
        cursor.execute("CREATE SCHEMA otro")
        cursor.execute("CREATE TABLE otro.usuario (LIKE public.usuario INCLUDING ALL)")
        cursor.execute("INSERT INTO otro.usuario (username, password) VALUES ('de_otro', 'x')")
    yield
    with observador.cursor() as cursor:
        cursor.execute("DROP SCHEMA otro CASCADE")


@pytest.mark.usefixtures("con_discard_all", "otro_esquema")
def test_con_db_pool_reset_un_search_path_confirmado_no_pasa_al_siguiente():
    conexion = Conexion.obtener_conexion()
    with conexion.cursor() as cursor:
        cursor.execute("SET search_path TO otro")
    conexion.commit()

    otra = _devolver_y_tomar_la_misma(conexion)
    Conexion.liberar_conexion(otra)

    # Sin el reinicio, leería la tabla de `otro` y vería a de_otro.
    assert UsuarioDAO.seleccionar() == []


@pytest.mark.usefixtures("con_discard_all")
def test_con_db_pool_reset_tablas_temporales_listen_y_prepare_no_sobreviven():
    conexion = Conexion.obtener_conexion()
    with conexion.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE apuntes (n int)")
        cursor.execute("LISTEN avisos")
        cursor.execute("PREPARE preparada AS SELECT 1")
    conexion.commit()

    otra = _devolver_y_tomar_la_misma(conexion)
    try:
        assert _consultar(otra, "SELECT to_regclass('pg_temp.apuntes')") is None
        assert _consultar(otra, "SELECT count(*) FROM pg_listening_channels()") == 0
        assert _consultar(otra, "SELECT count(*) FROM pg_prepared_statements") == 0
        otra.rollback()
    finally:
        Conexion.liberar_conexion(otra)


def test_un_db_pool_reset_que_falla_se_avisa_y_la_conexion_se_descarta(
    base_limpia, monkeypatch, caplog
):
    caplog.set_level(logging.DEBUG, logger="acceso_datos")
    _reiniciar_pool(monkeypatch, DB_POOL_RESET="DISCARD TODO_MAL")
    conexion = Conexion.obtener_conexion()
    pid = pid_de(conexion)
    conexion.commit()

    Conexion.liberar_conexion(conexion)  # no lanza: devolver no debe tapar otros errores

    assert conexion.closed
    assert any("DB_POOL_RESET" in r.getMessage() for r in caplog.records)
    assert Conexion.estadisticas()["en_uso"] == 0
    nueva = Conexion.obtener_conexion()
    assert pid_de(nueva) != pid
    nueva.commit()
    Conexion.liberar_conexion(nueva)
    Conexion.cerrar_conexiones()


# --- devolver la misma dos veces a la vez -----------------------------------------------


class _ConexionQueSeCruza(ConexionDelPool):
    """Al leer `prestada_desde`, espera (con límite) a que el otro hilo lea también.

    Así dos devoluciones simultáneas de la misma conexión se cruzan siempre en el peor
    momento: las dos han comprobado que está prestada y ninguna la ha marcado aún."""

    cruce: threading.Barrier

    @property
    def prestada_desde(self):
        leido = self.__dict__["_prestada_desde"]
        # Si el otro hilo no llega, es que espera al candado, como debe ser.
        with contextlib.suppress(threading.BrokenBarrierError):
            self.cruce.wait()
        return leido

    @prestada_desde.setter
    def prestada_desde(self, valor):
        self.__dict__["_prestada_desde"] = valor


def test_dos_hilos_que_devuelven_la_misma_conexion_a_la_vez_solo_uno_lo_logra(base_limpia):
    conexion = Conexion.obtener_conexion()
    desde = conexion.prestada_desde
    conexion.__class__ = _ConexionQueSeCruza
    conexion.__dict__["_prestada_desde"] = desde
    conexion.cruce = threading.Barrier(2, timeout=0.5)
    resultados = []

    def devolver() -> None:
        try:
            Conexion.liberar_conexion(conexion)
            resultados.append("devuelta")
        except ErrorAccesoDatos as error:
            resultados.append(str(error))

    hilos = [threading.Thread(target=devolver) for _ in range(2)]
    for hilo in hilos:
        hilo.start()
    for hilo in hilos:
        hilo.join(COTA_CUELGUE)
    conexion.cruce.abort()
    conexion.__class__ = ConexionDelPool
    conexion.prestada_desde = conexion.__dict__.pop("_prestada_desde")

    assert len(resultados) == 2
    assert resultados.count("devuelta") == 1
    assert any("dos veces" in resultado for resultado in resultados)
    # Una sola vez entre las libres: si no, dos hilos recibirían la misma conexión.
    assert Conexion.estadisticas() == {
        "minimo": 1,
        "maximo": 5,
        "en_uso": 0,
        "libres": 1,
        "esperando": 0,
    }
    primera = Conexion.obtener_conexion()
    segunda = Conexion.obtener_conexion()
    try:
        assert primera is not segunda
    finally:
        Conexion.liberar_conexion(primera)
        Conexion.liberar_conexion(segunda)


# --- CursorDelPool sigue igual ---------------------------------------------------------


def test_cursor_del_pool_sobre_una_conexion_restablecida_confirma_normal(observador):
    conexion = Conexion.obtener_conexion()
    conexion.set_session(readonly=True)
    Conexion.liberar_conexion(conexion)

    with CursorDelPool() as cursor:
        cursor.execute(INSERTAR, ("ana",))

    assert usernames_confirmados(observador) == ["ana"]


def test_devolver_una_conexion_que_no_salio_del_pool_da_un_error_propio(base_limpia):
    ajena = psycopg2.connect(**base_limpia.parametros_conexion())
    try:
        with pytest.raises(ErrorAccesoDatos, match="no salió del pool de Conexion"):
            Conexion.liberar_conexion(ajena)
    finally:
        ajena.close()
    assert Conexion.estadisticas()["en_uso"] == 0
