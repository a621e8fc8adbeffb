"""El vigía corta solo lo que reclamó, y lo reclamado falla entero.

Reclamar una llamada que venció y abandonar su conexión son, para quien llamaba, un solo
paso: si su respuesta llega mientras el vigía abandona la conexión, espera y falla; nada de
ese abandono llega después a quien reciba otra conexión del pool. Para verlo, el test
detiene al vigía entre reclamar y cortar (la avería que se inyecta), y decide cuándo
contesta el servidor con un candado consultivo que tiene otra conexión.
"""

import random
import threading
import time

import pytest
from psycopg2 import errors

from acceso_datos import vigia
from acceso_datos.conexion import Conexion
from acceso_datos.conexion_del_pool import ConexionDelPool
from acceso_datos.cursor_del_pool import CursorDelPool
from acceso_datos.errores import (
    ConexionError,
    ErrorAccesoDatos,
    ResultadoDesconocidoError,
    ServidorNoRespondeError,
)

COTA = 15.0  # segundos: lo que no llega en este tiempo está colgado
PLAZO = "0.3"  # DB_QUERY_TIMEOUT de estos tests
CANDADO = 4242  # el candado consultivo con el que el test retiene la respuesta del servidor
# La orden que espera al candado: el servidor contesta cuando el test lo suelta.
ESPERAR_AL_TEST = "SELECT pg_advisory_xact_lock(4242)"


@pytest.fixture
def plazo_corto(base_limpia, monkeypatch):
    monkeypatch.setenv("DB_QUERY_TIMEOUT", PLAZO)
    monkeypatch.setenv("DB_POOL_MAX", "1")
    Conexion.cerrar_conexiones()
    yield
    Conexion.cerrar_conexiones()


@pytest.fixture
def vigia_detenido(monkeypatch):
    """El vigía se detiene tras reclamar una llamada y antes de abandonar su conexión, hasta
    que el test lo suelta con `soltar.set()`; `abandonada` avisa cuando acabó."""
    reclamada, soltar, abandonada = threading.Event(), threading.Event(), threading.Event()
    abandonar = ConexionDelPool.abandonar

    def abandonar_tras_la_pausa(conexion, senal):
        reclamada.set()
        soltar.wait(COTA)
        abandonar(conexion, senal)
        abandonada.set()

    monkeypatch.setattr(ConexionDelPool, "abandonar", abandonar_tras_la_pausa)
    yield reclamada, soltar, abandonada
    soltar.set()


@pytest.fixture
def respuesta_leida(monkeypatch):
    """Avisa cuando quien llamaba, con la respuesta del servidor ya leída, empieza a esperar
    a que el vigía acabe de abandonar: desde ahí, soltar al vigía no puede cortar esa
    respuesta antes de que llegue (sin esto, el corte del socket podía ganarle)."""
    leida = threading.Event()
    esperar_al_vigia = vigia._esperar_al_vigia

    def avisar_y_esperar(conexion) -> None:
        leida.set()
        esperar_al_vigia(conexion)

    monkeypatch.setattr(vigia, "_esperar_al_vigia", avisar_y_esperar)
    return leida


@pytest.fixture
def retener_respuesta(observador):
    """El test tiene el candado: la orden ESPERAR_AL_TEST no contesta hasta `soltar()`."""
    with observador.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", (CANDADO,))

    def soltar() -> None:
        with observador.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock_all()")

    yield soltar
    soltar()


def _en_hilo(funcion) -> tuple[threading.Thread, list]:
    salida: list = []

    def llamar() -> None:
        try:
            salida.append(funcion())
        except BaseException as error:
            salida.append(error)

    hilo = threading.Thread(target=llamar, daemon=True)
    hilo.start()
    return hilo, salida


def _esperar(condicion, que: str) -> None:
    limite = time.monotonic() + COTA
    while not condicion():
        assert time.monotonic() < limite, f"no se cumplió {que} en {COTA} s"
        time.sleep(0.005)


@pytest.mark.usefixtures("plazo_corto")
def test_una_respuesta_que_llega_mientras_el_vigia_abandona_no_deja_el_corte_para_otro(
    vigia_detenido, retener_respuesta, respuesta_leida
):
    reclamada, soltar_vigia, abandonada = vigia_detenido

    def lenta() -> None:
        with CursorDelPool() as cursor:
            cursor.execute(ESPERAR_AL_TEST)

    hilo_lento, salida_lenta = _en_hilo(lenta)
    assert reclamada.wait(COTA), "el vigía no reclamó la orden vencida"
    retener_respuesta()  # la respuesta llega ahora, con el vigía a medio abandonar
    # Si quien llamaba no esperase al vigía, confirmaría y devolvería la conexión, que el
    # inocente recibiría.
    assert respuesta_leida.wait(COTA), "quien llamaba no esperó al vigía"

    dentro = threading.Event()

    def inocente() -> list:
        with CursorDelPool() as cursor:
            cursor.execute("SELECT 1")
            dentro.set()
            abandonada.wait(COTA)  # el abandono ya terminó: no debe alcanzarle
            cursor.execute("SELECT 2")
            return cursor.fetchall()

    hilo_inocente, salida_inocente = _en_hilo(inocente)
    _esperar(
        lambda: dentro.is_set() or Conexion.estadisticas()["esperando"] == 1,
        "que el inocente tenga la conexión o espere su turno",
    )
    soltar_vigia.set()
    for hilo in (hilo_lento, hilo_inocente):
        hilo.join(COTA)

    assert salida_inocente == [[(2,)]]
    assert len(salida_lenta) == 1 and isinstance(salida_lenta[0], ServidorNoRespondeError)
    assert Conexion.estadisticas()["en_uso"] == 0


@pytest.mark.usefixtures("plazo_corto")
def test_lo_que_sigue_a_una_orden_reclamada_falla_sin_enviarse_y_nada_queda_a_medias(
    vigia_detenido, retener_respuesta, respuesta_leida, observador
):
    reclamada, soltar_vigia, _ = vigia_detenido
    siguiente: list[BaseException] = []

    def alta_y_otra_orden() -> None:
        with CursorDelPool() as cursor:
            cursor.execute("INSERT INTO usuario (username, password) VALUES ('ana', 'x')")
            try:
                cursor.execute(ESPERAR_AL_TEST)
            finally:
                try:
                    cursor.execute("SELECT 1")  # lo siguiente en el mismo `with`
                except BaseException as error:
                    siguiente.append(error)

    hilo, salida = _en_hilo(alta_y_otra_orden)
    assert reclamada.wait(COTA), "el vigía no reclamó la orden vencida"
    retener_respuesta()  # la orden acaba bien justo cuando el vigía la reclama
    assert respuesta_leida.wait(COTA), "la respuesta no llegó"
    soltar_vigia.set()
    hilo.join(COTA)

    # La orden reclamada falla aunque su respuesta llegara; la siguiente, sin enviarse:
    # errores propios y seguros, nunca «no se sabe si se guardó».
    assert len(salida) == 1 and isinstance(salida[0], ServidorNoRespondeError)
    assert len(siguiente) == 1 and type(siguiente[0]) is ConexionError
    assert "no se envió" in str(siguiente[0])
    with observador.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM usuario")
        assert cursor.fetchone() == (0,)


@pytest.mark.usefixtures("plazo_corto")
def test_un_error_de_sql_que_llega_al_vencer_el_plazo_se_dice_tal_cual(
    vigia_detenido, retener_respuesta, respuesta_leida
):
    reclamada, soltar_vigia, _ = vigia_detenido

    def falla_al_contestar() -> None:
        with CursorDelPool() as cursor:
            # random() * 0: el servidor no puede calcularlo antes de tener el candado.
            cursor.execute(f"SELECT 1 / (random() * 0)::int FROM ({ESPERAR_AL_TEST}) AS espera")

    hilo, salida = _en_hilo(falla_al_contestar)
    assert reclamada.wait(COTA), "el vigía no reclamó la orden vencida"
    retener_respuesta()
    assert respuesta_leida.wait(COTA), "el error del servidor no llegó"
    soltar_vigia.set()
    hilo.join(COTA)

    assert len(salida) == 1 and isinstance(salida[0], errors.DivisionByZero)


@pytest.fixture
def tabla_con_trigger_lento(base_limpia):
    """Una tabla cuyo trigger duerme, en cada alta, los segundos que diga la fila."""
    with CursorDelPool() as cursor:
        cursor.execute(
            """
            CREATE TABLE alta_lenta (clave text PRIMARY KEY, dormir float NOT NULL);
            CREATE FUNCTION dormir_en_el_alta() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN PERFORM pg_sleep(NEW.dormir); RETURN NEW; END $$;
            CREATE TRIGGER dormir BEFORE INSERT ON alta_lenta
                FOR EACH ROW EXECUTE FUNCTION dormir_en_el_alta();
            """
        )
    yield
    Conexion.cerrar_conexiones()
    with CursorDelPool() as cursor:
        cursor.execute("DROP TABLE alta_lenta; DROP FUNCTION dormir_en_el_alta()")


@pytest.mark.usefixtures("tabla_con_trigger_lento")
def test_altas_que_acaban_justo_al_vencer_el_plazo_nunca_dan_resultado_desconocido(
    monkeypatch, observador
):
    plazo = float(PLAZO)
    monkeypatch.setenv("DB_QUERY_TIMEOUT", PLAZO)
    monkeypatch.setenv("DB_POOL_MAX", "5")
    Conexion.cerrar_conexiones()
    hilos, altas_por_hilo = 5, 8
    resultados: dict[str, object] = {}

    def dar_de_alta(indice: int) -> None:
        azar = random.Random(indice)
        for numero in range(altas_por_hilo):
            clave = f"{indice}-{numero}"
            try:
                with CursorDelPool() as cursor:
                    cursor.execute(
                        "INSERT INTO alta_lenta VALUES (%s, %s)",
                        (clave, azar.uniform(0.9, 1.1) * plazo),
                    )
                    cursor.execute("SELECT 1")  # lo que sigue en la misma transacción
                resultados[clave] = "hecha"
            except BaseException as error:
                resultados[clave] = error

    grupo = [threading.Thread(target=dar_de_alta, args=(i,), daemon=True) for i in range(hilos)]
    for hilo in grupo:
        hilo.start()
    for hilo in grupo:
        hilo.join(COTA * 2)

    with observador.cursor() as cursor:
        cursor.execute("SELECT clave FROM alta_lenta")
        guardadas = {clave for (clave,) in cursor.fetchall()}
    hechas = {clave for clave, resultado in resultados.items() if resultado == "hecha"}
    fallidas = {clave: r for clave, r in resultados.items() if r != "hecha"}
    assert len(resultados) == hilos * altas_por_hilo
    # Sin COMMIT en vuelo no hay nada dudoso: cada alta se hizo (y está) o no (y no está).
    assert [r for r in fallidas.values() if isinstance(r, ResultadoDesconocidoError)] == []
    assert [r for r in fallidas.values() if not isinstance(r, ErrorAccesoDatos)] == []
    assert guardadas == hechas
    assert Conexion.estadisticas()["en_uso"] == 0


@pytest.mark.usefixtures("plazo_corto")
def test_si_la_cancelacion_llega_antes_que_el_corte_el_error_sigue_siendo_el_del_plazo(
    monkeypatch,
):
    # La cancelación que pide el vigía puede llegar antes que el corte del socket: el
    # servidor contesta 57014 (QueryCanceled), que no es un error de la orden sino del
    # abandono. Aquí el corte no llega nunca.
    monkeypatch.setattr(vigia, "cortar_socket", lambda _socket: None)
    with pytest.raises(ErrorAccesoDatos) as error, CursorDelPool() as cursor:
        cursor.execute("SELECT pg_sleep(5)")
    assert isinstance(error.value, ServidorNoRespondeError)
    assert isinstance(error.value.__cause__, errors.QueryCanceled)
