"""Ctrl-C de verdad (SIGINT enviado al hilo principal desde un hilo temporizador) en cada
espera del pool: en la cola, al conectar y esperando al servidor. Nunca se pierde un hueco
ni queda nadie fantasma en la cola, y el pool sigue sirviendo después."""

import signal
import socket
import threading
import time

import pytest

from acceso_datos.conexion import Conexion
from acceso_datos.cursor_del_pool import CursorDelPool
from acceso_datos.errores import ResultadoDesconocidoError
from acceso_datos.pool import PoolConexiones
from acceso_datos.usuario import Usuario
from acceso_datos.usuario_dao import UsuarioDAO

COTA_CUELGUE = 15.0  # segundos: lo que no llega en este tiempo está colgado
PRONTO = 3.0  # segundos: Ctrl-C debe notarse en este tiempo, no al acabar la espera
EQUILIBRADAS = {"en_uso": 0, "esperando": 0}


def _interrumpir(funcion, condicion, que: str, rescatar=None) -> tuple[KeyboardInterrupt, float]:
    """Ejecuta `funcion` en el hilo principal y le manda Ctrl-C cuando se cumple `condicion`.

    Si `funcion` sigue sin volver mucho después de la señal (Ctrl-C no llegó: libpq espera
    en C), `rescatar()` la desbloquea para que el test falle en vez de colgarse."""
    principal = threading.main_thread().ident
    terminada = threading.Event()
    fallos = []

    def vigilar() -> None:
        limite = time.monotonic() + COTA_CUELGUE
        while not condicion():
            if time.monotonic() > limite:
                fallos.append(f"no se cumplió {que} en {COTA_CUELGUE} s")
                return
            time.sleep(0.005)
        signal.pthread_kill(principal, signal.SIGINT)
        if not terminada.wait(COTA_CUELGUE) and rescatar is not None:
            rescatar()

    vigia = threading.Thread(target=vigilar, daemon=True)
    vigia.start()
    inicio = time.monotonic()
    with pytest.raises(KeyboardInterrupt) as interrupcion:
        try:
            funcion()
        finally:
            terminada.set()
            vigia.join(COTA_CUELGUE)
    assert not fallos, fallos
    return interrupcion.value, time.monotonic() - inicio


def _contadores() -> dict[str, int]:
    estadisticas = Conexion.estadisticas()
    return {clave: estadisticas[clave] for clave in EQUILIBRADAS}


def _configurar(monkeypatch, **variables: str) -> None:
    for nombre, valor in variables.items():
        monkeypatch.setenv(nombre, valor)
    Conexion.cerrar_conexiones()


# --- en la cola del pool ------------------------------------------------------------


def test_ctrl_c_esperando_turno_sale_de_la_cola_sin_dejar_un_fantasma(base_limpia, monkeypatch):
    _configurar(monkeypatch, DB_POOL_MAX="1")
    retenida = Conexion.obtener_conexion()
    try:
        _interrumpir(
            lambda: Conexion.obtener_conexion(timeout=COTA_CUELGUE),
            lambda: Conexion.estadisticas()["esperando"] == 1,
            "un hilo esperando turno",
        )
        assert Conexion.estadisticas()["esperando"] == 0
    finally:
        Conexion.liberar_conexion(retenida)
    # La devuelta queda libre para el siguiente: nadie fantasma se la llevó.
    assert _contadores() == EQUILIBRADAS
    otra = Conexion.obtener_conexion(timeout=0)
    assert otra is retenida
    Conexion.liberar_conexion(otra)


def test_ctrl_c_entre_entrar_en_la_cola_y_empezar_a_esperar_no_deja_un_fantasma(
    base_limpia, monkeypatch
):
    # Ctrl-C puede llegar en cualquier instrucción. Aquí, justo después de entrar en la cola
    # y antes de bloquearse: la señal se lanza al propio hilo al empezar `_esperar`. Dentro
    # de prestar se aplaza, y la espera que empieza después debe lanzarla en el acto (no
    # al acabar el plazo de la cola).
    _configurar(monkeypatch, DB_POOL_MAX="1")
    esperar = PoolConexiones._esperar

    def ctrl_c_antes_de_esperar(pool, espera, timeout):
        signal.raise_signal(signal.SIGINT)
        return esperar(pool, espera, timeout)

    retenida = Conexion.obtener_conexion()
    monkeypatch.setattr(PoolConexiones, "_esperar", ctrl_c_antes_de_esperar)
    try:
        inicio = time.monotonic()
        with pytest.raises(KeyboardInterrupt):
            Conexion.obtener_conexion(timeout=COTA_CUELGUE)
        assert time.monotonic() - inicio < PRONTO
        assert Conexion.estadisticas()["esperando"] == 0
    finally:
        monkeypatch.setattr(PoolConexiones, "_esperar", esperar)
        Conexion.liberar_conexion(retenida)
    # La devuelta quedó libre: no se la llevó (ni la espera) nadie fantasma.
    assert Conexion.obtener_conexion(timeout=0) is retenida
    Conexion.liberar_conexion(retenida)
    assert _contadores() == EQUILIBRADAS


@pytest.mark.parametrize("colarse_hasta", [COTA_CUELGUE, 0.0], ids=["a-por-ella", "en-mano"])
def test_ctrl_c_justo_al_despertar_pasa_la_conexion_al_siguiente(
    base_limpia, monkeypatch, colarse_hasta
):
    # El hilo principal espera el primero, y otro hilo detrás. Se devuelve la conexión:
    # al principal lo despiertan para que vaya a por ella (o se la dan en mano, con
    # COLARSE_HASTA 0), y le llega Ctrl-C antes de mirar. La conexión, intacta, debe
    # llegar al de detrás. Para que el orden sea siempre ese, el propio hilo principal,
    # ya en la cola, devuelve la conexión y se manda la señal (al empezar `_esperar`).
    _configurar(monkeypatch, DB_POOL_MAX="1")
    pool = Conexion.obtener_pool()
    monkeypatch.setattr(pool, "_colarse_hasta", colarse_hasta)
    retenida = Conexion.obtener_conexion()
    recibidas, errores = [], []

    def segundo() -> None:
        try:
            conexion = Conexion.obtener_conexion(timeout=COTA_CUELGUE)
        except BaseException as error:
            errores.append(error)
            return
        recibidas.append(conexion)
        Conexion.liberar_conexion(conexion)

    detras = threading.Thread(target=segundo, daemon=True)
    esperar = PoolConexiones._esperar

    def devolver_y_ctrl_c(pool, espera, timeout):
        if threading.current_thread() is not threading.main_thread():
            return esperar(pool, espera, timeout)  # el de detrás espera como siempre
        detras.start()
        limite = time.monotonic() + COTA_CUELGUE
        while pool.estadisticas()["esperando"] < 2:
            assert time.monotonic() < limite, "el segundo hilo no llegó a esperar"
            time.sleep(0.005)
        Conexion.liberar_conexion(retenida)
        assert espera.atendida  # despertado (con la conexión en mano, o a por ella)
        signal.raise_signal(signal.SIGINT)
        return esperar(pool, espera, timeout)

    monkeypatch.setattr(PoolConexiones, "_esperar", devolver_y_ctrl_c)
    with pytest.raises(KeyboardInterrupt):
        Conexion.obtener_conexion(timeout=COTA_CUELGUE)
    monkeypatch.setattr(PoolConexiones, "_esperar", esperar)
    detras.join(COTA_CUELGUE)

    assert errores == []
    assert recibidas == [retenida]  # la misma: ni se perdió ni se cerró
    assert _contadores() == EQUILIBRADAS


@pytest.mark.parametrize("plazo", [1e10, float("inf")], ids=["1e10", "inf"])
def test_un_plazo_enorme_espera_sin_limite_y_recibe_la_conexion(base_limpia, monkeypatch, plazo):
    _configurar(monkeypatch, DB_POOL_MAX="1")
    retenida = Conexion.obtener_conexion()
    recibidas, errores = [], []

    def esperar() -> None:
        try:
            recibidas.append(Conexion.obtener_conexion(timeout=plazo))
        except BaseException as error:
            errores.append(error)

    hilo = threading.Thread(target=esperar, daemon=True)
    hilo.start()
    limite = time.monotonic() + COTA_CUELGUE
    while Conexion.estadisticas()["esperando"] == 0 and hilo.is_alive():
        assert time.monotonic() < limite, "el hilo no llegó a esperar"
        time.sleep(0.005)
    Conexion.liberar_conexion(retenida)
    hilo.join(COTA_CUELGUE)

    assert errores == []
    assert recibidas == [retenida]
    Conexion.liberar_conexion(recibidas[0])
    assert _contadores() == EQUILIBRADAS


# --- al conectar ----------------------------------------------------------------------


def test_ctrl_c_al_conectar_con_un_servidor_mudo_no_pierde_el_hueco(
    servidor_de_pruebas, monkeypatch
):
    with socket.create_server(("127.0.0.1", 0)) as mudo:  # acepta TCP, no contesta nunca
        mudo.settimeout(COTA_CUELGUE)
        _configurar(
            monkeypatch,
            DB_HOST="127.0.0.1",
            DB_PORT=str(mudo.getsockname()[1]),
            DB_POOL_MIN="0",
            DB_POOL_MAX="1",
            DB_CONNECT_TIMEOUT="30",
        )
        conectados = []

        def aceptar() -> bool:
            if not conectados:
                conectados.append(mudo.accept()[0])  # el pool ya está conectando
            return True

        try:
            _, segundos = _interrumpir(Conexion.obtener_conexion, aceptar, "la conexión al mudo")
            assert segundos < PRONTO + 1
            # Con máximo 1, perder el hueco dejaría el pool agotado para siempre.
            assert _contadores() == EQUILIBRADAS
        finally:
            for socket_aceptado in conectados:
                socket_aceptado.close()
            Conexion.cerrar_conexiones()


# --- esperando al servidor ---------------------------------------------------------


def test_ctrl_c_esperando_a_un_servidor_congelado_vuelve_en_el_acto(proxy, monkeypatch):
    _configurar(monkeypatch, DB_QUERY_TIMEOUT="60")
    assert UsuarioDAO.contar() == 0
    proxy.congelar()

    _, segundos = _interrumpir(
        UsuarioDAO.contar, proxy.retenido.is_set, "la consulta en el proxy", proxy.descongelar
    )

    assert segundos < PRONTO
    assert _contadores() == EQUILIBRADAS
    proxy.descongelar()
    assert UsuarioDAO.contar() == 0
    assert _contadores() == EQUILIBRADAS


def test_ctrl_c_durante_una_consulta_larga_la_cancela_en_el_servidor(observador, monkeypatch):
    _configurar(monkeypatch, DB_QUERY_TIMEOUT="60")

    def durmiendo() -> list[int]:
        with observador.cursor() as cursor:
            cursor.execute(
                "SELECT pid FROM pg_stat_activity WHERE state = 'active' "
                "AND query LIKE 'SELECT pg_sleep(20)%%' AND pid <> pg_backend_pid()"
            )
            return [fila[0] for fila in cursor.fetchall()]

    def consulta_larga() -> None:
        with CursorDelPool() as cursor:
            cursor.execute("SELECT pg_sleep(20)")

    _, segundos = _interrumpir(consulta_larga, durmiendo, "la consulta larga en marcha")

    assert segundos < PRONTO
    assert _contadores() == EQUILIBRADAS
    # Sin cancelación, el servidor seguiría durmiendo los 20 s aunque nadie espere.
    limite = time.monotonic() + COTA_CUELGUE
    while durmiendo():
        assert time.monotonic() < limite, "el servidor siguió con la consulta interrumpida"
        time.sleep(0.05)


def test_ctrl_c_con_el_commit_en_vuelo_dice_que_el_resultado_es_desconocido(proxy, monkeypatch):
    _configurar(monkeypatch, DB_QUERY_TIMEOUT="60")
    proxy.congelar_tras_commit()

    interrupcion, segundos = _interrumpir(
        lambda: UsuarioDAO.insertar(Usuario(username="ana", password="Clave-De-Ana-123")),
        proxy.commit_reenviado.is_set,
        "el COMMIT reenviado y su respuesta retenida",
        proxy.descongelar,
    )

    assert proxy.commit_reenviado.is_set()
    assert segundos < PRONTO
    # Sigue siendo Ctrl-C (nadie lo confunde con un error que se pueda ignorar), y su
    # causa dice qué quedó dudoso.
    assert isinstance(interrupcion.__cause__, ResultadoDesconocidoError)
    assert "no se sabe si" in str(interrupcion.__cause__)
    proxy.descongelar()
    assert _contadores() == EQUILIBRADAS


def test_un_pool_creado_en_otro_hilo_atiende_ctrl_c_cuando_lo_usa_el_principal(
    observador, monkeypatch
):
    # Ctrl-C solo se puede preparar desde el hilo principal: el pool lo hace la primera vez
    # que ese hilo lo usa, aunque lo haya creado otro (un servidor web, un hilo de arranque).
    _configurar(monkeypatch, DB_QUERY_TIMEOUT="60")
    creador = threading.Thread(target=Conexion.obtener_pool)
    creador.start()
    creador.join(COTA_CUELGUE)

    def consulta_larga() -> None:
        with CursorDelPool() as cursor:
            cursor.execute("SELECT pg_sleep(20)")

    def durmiendo() -> bool:
        with observador.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' "
                "AND query = 'SELECT pg_sleep(20)'"
            )
            return cursor.fetchone()[0] > 0

    def rescatar() -> None:
        with observador.cursor() as cursor:
            cursor.execute(
                "SELECT pg_cancel_backend(pid) FROM pg_stat_activity "
                "WHERE query = 'SELECT pg_sleep(20)'"
            )

    _, segundos = _interrumpir(consulta_larga, durmiendo, "la consulta larga en marcha", rescatar)

    assert segundos < PRONTO
    assert _contadores() == EQUILIBRADAS


def test_ctrl_c_no_corta_una_orden_que_acaba_enseguida_y_la_conexion_sigue_sirviendo(
    base_limpia, monkeypatch
):
    # Ctrl-C llega con una orden corta en vuelo (aquí, 0,02 s): no es una espera de verdad.
    # La orden acaba con su resultado, la excepción llega al volver, y la conexión no se
    # abandona: el pool la presta otra vez (la misma sesión del servidor).
    _configurar(monkeypatch, DB_POOL_MAX="1")
    with CursorDelPool() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    resultados = []
    en_vuelo = threading.Event()

    def ordenes_cortas() -> None:
        with CursorDelPool() as cursor:
            while True:
                en_vuelo.set()
                cursor.execute("SELECT pg_sleep(0.02), 1")
                resultados.append(cursor.fetchone()[1])

    _interrumpir(ordenes_cortas, en_vuelo.is_set, "una orden corta en vuelo")

    assert _contadores() == EQUILIBRADAS
    with CursorDelPool() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] == pid


def test_una_lectura_cuyo_commit_se_corta_devuelve_lo_leido_sin_resultado_desconocido(
    proxy, monkeypatch
):
    # Una consulta no tiene nada que pueda haberse guardado o no: si la conexión se pierde
    # con su COMMIT en vuelo, lo leído vale igual.
    _configurar(monkeypatch, DB_QUERY_TIMEOUT="0.5")
    UsuarioDAO.insertar(Usuario(username="ana", password="Clave-De-Ana-123"))
    proxy.congelar_tras_commit()

    assert UsuarioDAO.contar() == 1

    proxy.descongelar()
    assert _contadores() == EQUILIBRADAS


def test_un_ctrl_c_poco_despues_de_otro_tambien_corta_la_espera_al_servidor(proxy, monkeypatch):
    # Dos Ctrl-C seguidos: el primero, sin nada esperando al servidor (aquí lo atiende un
    # manejador que solo lo anota); el segundo, antes de que pasen 0,1 s, con una consulta
    # congelada. El segundo también debe cortarla.
    _configurar(monkeypatch, DB_QUERY_TIMEOUT="60")
    assert UsuarioDAO.contar() == 0
    recibidas = []

    def anotar_el_primero(senal, marco) -> None:
        recibidas.append(senal)
        if len(recibidas) > 1:
            raise KeyboardInterrupt

    anterior = signal.signal(signal.SIGINT, anotar_el_primero)
    try:
        signal.raise_signal(signal.SIGINT)
        proxy.congelar()
        _, segundos = _interrumpir(
            UsuarioDAO.contar, proxy.retenido.is_set, "la consulta en el proxy", proxy.descongelar
        )
    finally:
        signal.signal(signal.SIGINT, anterior)

    assert segundos < PRONTO
    assert recibidas == [signal.SIGINT, signal.SIGINT]
    proxy.descongelar()
    assert _contadores() == EQUILIBRADAS
