"""Tests del pool `Conexion` contra un PostgreSQL real: espera, reutilización, validación,
recorte por inactividad, fallos del servidor, estadísticas y avisos en el log."""

import logging
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import psycopg2
import pytest
from ayudas import pid_de, problemas_de_idioma, terminar_backend
from psycopg2 import extensions

from acceso_datos import pool as modulo_pool
from acceso_datos.conexion import Conexion
from acceso_datos.configuracion import Configuracion
from acceso_datos.errores import ConexionError, ErrorAccesoDatos, PoolAgotadoError
from acceso_datos.fallos_de_conexion import describir_fallo_de_conexion
from acceso_datos.pool import AVISO_ESPERA, COLARSE_HASTA, VALIDAR_SI_INACTIVA
from acceso_datos.servidor_embebido import ServidorEmbebido

APLICACION = "acceso_datos_tests"  # DB_APPLICATION_NAME que fija conftest.py
CLAVES_ESTADISTICAS = {"minimo", "maximo", "en_uso", "libres", "esperando"}
CONTRASENA_UNICA = "clave-que-no-debe-verse-7f3a9c"
COTA_CUELGUE = 10.0  # segundos: pasar de aquí es un cuelgue, no lentitud
TODOS_CON_TURNO = 3.0  # segundos: cota holgada para que cada hilo haga su primera operación


# --- ayudas ----------------------------------------------------------------------------


def _configurar_pool(monkeypatch, **variables: str) -> None:
    """Cambia variables DB_POOL_* y olvida el pool para que el siguiente las lea."""
    for nombre, valor in variables.items():
        monkeypatch.setenv(nombre, valor)
    Conexion.cerrar_conexiones()


def _esperar_hasta(condicion, plazo: float = COTA_CUELGUE, que: str = "la condición") -> None:
    """Sondeo acotado: vuelve en cuanto `condicion()` es cierta; falla pasado `plazo`."""
    limite = time.monotonic() + plazo
    while not condicion():
        if time.monotonic() > limite:
            raise AssertionError(f"no se cumplió {que} en {plazo} s")
        time.sleep(0.005)


def _esperando(numero: int):
    return lambda: Conexion.estadisticas()["esperando"] == numero


def _backends(observador) -> set[int]:
    """Pids de los procesos del servidor abiertos por el pool en la base de pruebas."""
    with observador.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity "
            "WHERE application_name = %s AND datname = current_database()",
            (APLICACION,),
        )
        return {fila[0] for fila in cursor.fetchall()}


def _esperar_a_superar(instante: float, segundos: float) -> None:
    """Deja pasar el tiempo que se está probando (inactividad, retención, espera)."""
    restante = instante + segundos + 0.1 - time.monotonic()
    if restante > 0:
        time.sleep(restante)


def _puerto_cerrado() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def entorno_aparte(servidor_de_pruebas, monkeypatch):
    """Para tests que apuntan el pool a otro servidor: al final se cierra ese pool."""
    yield monkeypatch
    Conexion.cerrar_conexiones()


@pytest.fixture
def servidor_propio(entorno_aparte, directorio_temporal):
    """Un PostgreSQL embebido solo para este test, que el test puede parar y arrancar."""
    servidor = ServidorEmbebido(directorio_temporal / "datos")
    try:
        entorno_aparte.setenv("DB_HOST", servidor.socket)
        entorno_aparte.setenv("DB_PORT", str(servidor.puerto))
        entorno_aparte.setenv("DB_NAME", "postgres")
        entorno_aparte.setenv("DB_USER", "postgres")
        entorno_aparte.setenv("DB_PASSWORD", CONTRASENA_UNICA)  # auth trust: no se usa
        Conexion.cerrar_conexiones()
        yield servidor
    finally:
        Conexion.cerrar_conexiones()
        servidor.arrancar()  # no hace nada si sigue en marcha; detener() exige que lo esté
        servidor.detener()


# --- espera y límite de tiempo -----------------------------------------------------------


def test_sexta_conexion_espera_y_agota_el_tiempo(base_limpia):
    prestadas = [Conexion.obtener_conexion() for _ in range(5)]
    try:
        inicio = time.monotonic()
        with pytest.raises(PoolAgotadoError) as error:
            Conexion.obtener_conexion(timeout=0.5)
        esperado = time.monotonic() - inicio
        assert 0.45 <= esperado < COTA_CUELGUE  # esperó de verdad, y no se colgó
        mensaje = str(error.value)
        assert "5 conexiones" in mensaje
        assert "0,5 s" in mensaje
        assert "DB_POOL_MAX" in mensaje  # dice qué hacer
        assert Conexion.estadisticas()["esperando"] == 0
    finally:
        for conexion in prestadas:
            Conexion.liberar_conexion(conexion)


def test_sin_timeout_explicito_se_espera_db_pool_timeout(base_limpia, monkeypatch):
    _configurar_pool(monkeypatch, DB_POOL_MAX="1", DB_POOL_TIMEOUT="0.3")
    retenida = Conexion.obtener_conexion()
    try:
        inicio = time.monotonic()
        with pytest.raises(PoolAgotadoError, match="esperar 0,3 s"):
            Conexion.obtener_conexion()
        assert 0.25 <= time.monotonic() - inicio < COTA_CUELGUE
    finally:
        Conexion.liberar_conexion(retenida)


def test_un_hilo_en_espera_despierta_cuando_se_devuelve_una_conexion(base_limpia, monkeypatch):
    _configurar_pool(monkeypatch, DB_POOL_MAX="1")
    retenida = Conexion.obtener_conexion()
    obtenida = threading.Event()
    recibidas = []

    def esperar_conexion():
        conexion = Conexion.obtener_conexion(timeout=COTA_CUELGUE)
        recibidas.append(conexion)
        obtenida.set()
        Conexion.liberar_conexion(conexion)

    with ThreadPoolExecutor(max_workers=1) as ejecutor:
        try:
            futuro = ejecutor.submit(esperar_conexion)
            _esperar_hasta(_esperando(1), que="un hilo esperando")
            assert not obtenida.is_set()
        finally:
            Conexion.liberar_conexion(retenida)
        assert obtenida.wait(COTA_CUELGUE), "el hilo en espera no despertó"
        futuro.result(timeout=COTA_CUELGUE)
    assert recibidas == [retenida]  # se la pasaron en mano, sin abrir otra


def test_los_que_esperan_reciben_conexion_por_orden_de_llegada(base_limpia, monkeypatch):
    _configurar_pool(monkeypatch, DB_POOL_MAX="1")
    retenida = Conexion.obtener_conexion()
    orden = []

    def esperar_turno(numero: int) -> None:
        conexion = Conexion.obtener_conexion(timeout=COTA_CUELGUE)
        orden.append(numero)
        Conexion.liberar_conexion(conexion)

    with ThreadPoolExecutor(max_workers=5) as ejecutor:
        futuros = []
        try:
            for numero in range(5):
                futuros.append(ejecutor.submit(esperar_turno, numero))
                _esperar_hasta(_esperando(numero + 1), que=f"{numero + 1} hilos esperando")
        finally:
            Conexion.liberar_conexion(retenida)
        for futuro in futuros:
            futuro.result(timeout=COTA_CUELGUE)
    assert orden == [0, 1, 2, 3, 4]


def test_treinta_y_dos_hilos_comparten_tres_conexiones_sin_errores(observador, monkeypatch):
    _configurar_pool(monkeypatch, DB_POOL_MAX="3")
    hilos, operaciones = 32, 20
    candado = threading.Lock()
    dentro = pico = 0
    pids_usados: set[int] = set()
    salida = threading.Barrier(hilos, timeout=COTA_CUELGUE)

    def trabajar() -> int:
        nonlocal dentro, pico
        salida.wait()  # todos a la vez, para que de verdad compitan
        for _ in range(operaciones):
            conexion = Conexion.obtener_conexion()
            try:
                with candado:
                    dentro += 1
                    pico = max(pico, dentro)
                pid = pid_de(conexion)
                conexion.commit()
                with candado:
                    dentro -= 1  # antes de devolverla: después ya puede tenerla otro
                    pids_usados.add(pid)
            finally:
                Conexion.liberar_conexion(conexion)
        return operaciones

    pico_en_uso = pico_backends = 0
    with ThreadPoolExecutor(max_workers=hilos) as ejecutor:
        futuros = [ejecutor.submit(trabajar) for _ in range(hilos)]
        while not all(futuro.done() for futuro in futuros):
            pico_en_uso = max(pico_en_uso, Conexion.estadisticas()["en_uso"])
            pico_backends = max(pico_backends, len(_backends(observador)))
        hechas = sum(futuro.result(timeout=COTA_CUELGUE) for futuro in futuros)

    assert hechas == hilos * operaciones
    assert 1 <= pico <= 3
    assert pico_en_uso <= 3
    assert pico_backends <= 3
    assert len(pids_usados) <= 3  # nunca se reconectó: siempre los mismos tres procesos
    estadisticas = Conexion.estadisticas()
    assert estadisticas["en_uso"] == 0
    assert estadisticas["esperando"] == 0
    assert len(_backends(observador)) <= 3


# --- colarse: quien ya está en marcha frente a quien espera ------------------------------


def _a_la_cola(pool, hace: float = 0.0):
    """Pone en la cola del pool una espera que empezó hace `hace` segundos, sin un hilo
    detrás: así nada corre entre dos líneas del test y se ve qué decide el pool. El test
    hace después, a mano, lo que haría ese hilo al despertar (`_turno`)."""
    espera = modulo_pool._Espera(time.monotonic() - hace)
    with pool._candado:
        pool._esperando.append(espera)
    return espera


def test_quien_pide_justo_al_devolverse_una_se_cuela_si_el_primero_acaba_de_llegar(
    base_limpia, monkeypatch
):
    _configurar_pool(monkeypatch, DB_POOL_MAX="1")
    pool = Conexion.obtener_pool()
    # Un plazo largo para colarse: el resultado no depende de lo que tarde el test.
    monkeypatch.setattr(pool, "_colarse_hasta", COTA_CUELGUE)
    retenida = Conexion.obtener_conexion()
    espera = _a_la_cola(pool)
    try:
        Conexion.liberar_conexion(retenida)
        # Al primero lo despiertan para que vaya a por ella, pero no se la dan en mano...
        assert espera.atendida and espera.conexion is None
        # ...y quien pide antes de que llegue a mirar se la lleva.
        otra_vez = Conexion.obtener_conexion(timeout=0)
        assert otra_vez is retenida
        # El despertado mira, no encuentra nada y vuelve al principio de la cola.
        assert pool._turno(espera, time.monotonic() + COTA_CUELGUE) is False
        assert list(pool._esperando) == [espera]
        # La siguiente que se devuelva es suya.
        Conexion.liberar_conexion(otra_vez)
        assert pool._turno(espera, time.monotonic() + COTA_CUELGUE) is True
        assert espera.conexion is retenida
    finally:
        Conexion.cerrar_conexiones()  # la espera sin hilo no debe quedar en el pool


def test_pasado_colarse_hasta_la_conexion_se_entrega_en_mano_al_primero(base_limpia, monkeypatch):
    _configurar_pool(monkeypatch, DB_POOL_MAX="1")
    pool = Conexion.obtener_pool()
    retenida = Conexion.obtener_conexion()
    espera = _a_la_cola(pool, hace=COLARSE_HASTA + 0.1)
    try:
        Conexion.liberar_conexion(retenida)
        assert espera.conexion is retenida  # en mano: ya es suya
        with pytest.raises(PoolAgotadoError):  # y aquí no se cuela nadie
            Conexion.obtener_conexion(timeout=0)
    finally:
        Conexion.cerrar_conexiones()


def test_con_hilos_que_se_cuelan_todos_acaban_teniendo_su_turno(base_limpia, monkeypatch):
    # Cada hilo pide otra conexión nada más devolver la suya: sin límite para colarse, los
    # dos que tuvieran las conexiones se las quedarían y el resto no haría nada (lo que
    # hace el pool con semáforo del bench). Cada hilo anota su primera operación acabada.
    _configurar_pool(monkeypatch, DB_POOL_MAX="2")
    hilos = 16
    primera = [0.0] * hilos
    parar = threading.Event()
    salida = threading.Barrier(hilos + 1, timeout=COTA_CUELGUE)

    def trabajar(indice: int) -> None:
        salida.wait()
        while not parar.is_set():
            conexion = Conexion.obtener_conexion(timeout=COTA_CUELGUE)
            try:
                with conexion.cursor() as cursor:
                    cursor.execute("SELECT 1")
                conexion.commit()
            finally:
                Conexion.liberar_conexion(conexion)
            if not primera[indice]:
                primera[indice] = time.monotonic()

    with ThreadPoolExecutor(max_workers=hilos) as ejecutor:
        futuros = [ejecutor.submit(trabajar, indice) for indice in range(hilos)]
        salida.wait()
        inicio = time.monotonic()
        try:
            _esperar_hasta(lambda: all(primera), que="una operación de cada hilo")
        finally:
            parar.set()
        for futuro in futuros:
            futuro.result(timeout=COTA_CUELGUE)
    # Lo normal es menos de 0,2 s; sin límite para colarse, la mayoría pasaba segundos sin
    # hacer nada, que es lo que este test debe ver.
    assert max(primera) - inicio < TODOS_CON_TURNO
    assert Conexion.estadisticas()["en_uso"] == 0


# --- estadísticas ----------------------------------------------------------------------


def test_estadisticas_tienen_exactamente_las_claves_fijadas(base_limpia):
    estadisticas = Conexion.estadisticas()
    assert set(estadisticas) == CLAVES_ESTADISTICAS
    assert estadisticas == {"minimo": 1, "maximo": 5, "en_uso": 0, "libres": 1, "esperando": 0}


def test_estadisticas_exactas_con_hilos_reteniendo_y_esperando(base_limpia, monkeypatch):
    _configurar_pool(monkeypatch, DB_POOL_MIN="1", DB_POOL_MAX="5")
    retenedores, en_espera = 3, 2
    todos_dentro = threading.Barrier(retenedores + 1, timeout=COTA_CUELGUE)
    soltar = threading.Event()

    def retener() -> None:
        conexion = Conexion.obtener_conexion()
        try:
            todos_dentro.wait()
            assert soltar.wait(COTA_CUELGUE)
        finally:
            Conexion.liberar_conexion(conexion)

    def pedir_y_devolver() -> None:
        Conexion.liberar_conexion(Conexion.obtener_conexion(timeout=COTA_CUELGUE))

    propias = []
    with ThreadPoolExecutor(max_workers=retenedores + en_espera) as ejecutor:
        futuros = [ejecutor.submit(retener) for _ in range(retenedores)]
        try:
            todos_dentro.wait()
            assert Conexion.estadisticas() == {
                "minimo": 1,
                "maximo": 5,
                "en_uso": 3,
                "libres": 0,
                "esperando": 0,
            }
            propias = [Conexion.obtener_conexion() for _ in range(2)]
            futuros += [ejecutor.submit(pedir_y_devolver) for _ in range(en_espera)]
            _esperar_hasta(_esperando(en_espera), que="dos hilos esperando")
            assert Conexion.estadisticas() == {
                "minimo": 1,
                "maximo": 5,
                "en_uso": 5,
                "libres": 0,
                "esperando": 2,
            }
        finally:
            soltar.set()
            for conexion in propias:
                Conexion.liberar_conexion(conexion)
        for futuro in futuros:
            futuro.result(timeout=COTA_CUELGUE)
    assert Conexion.estadisticas() == {
        "minimo": 1,
        "maximo": 5,
        "en_uso": 0,
        "libres": 5,
        "esperando": 0,
    }


# --- devolución: reinicio, reutilización, descarte -----------------------------------------


def test_conexion_devuelta_a_media_transaccion_se_deshace(observador):
    conexion = Conexion.obtener_conexion()
    pid = pid_de(conexion)
    with conexion.cursor() as cursor:
        cursor.execute("INSERT INTO usuario (username, password) VALUES ('a_medias', 'x')")
    assert conexion.get_transaction_status() == extensions.TRANSACTION_STATUS_INTRANS
    Conexion.liberar_conexion(conexion)

    with observador.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM usuario")
        assert cursor.fetchone()[0] == 0
    otra_vez = Conexion.obtener_conexion()
    try:
        assert otra_vez.get_transaction_status() == extensions.TRANSACTION_STATUS_IDLE
        assert pid_de(otra_vez) == pid  # la misma conexión, limpia: no se reconectó
    finally:
        Conexion.liberar_conexion(otra_vez)


def test_conexion_devuelta_con_transaccion_fallida_se_deshace(base_limpia):
    conexion = Conexion.obtener_conexion()
    pid = pid_de(conexion)
    with pytest.raises(psycopg2.errors.DivisionByZero), conexion.cursor() as cursor:
        cursor.execute("SELECT 1 / 0")
    assert conexion.get_transaction_status() == extensions.TRANSACTION_STATUS_INERROR
    Conexion.liberar_conexion(conexion)

    otra_vez = Conexion.obtener_conexion()
    try:
        assert pid_de(otra_vez) == pid  # sin el rollback, esto fallaría: transacción abortada
    finally:
        Conexion.liberar_conexion(otra_vez)


def test_conexiones_devueltas_siguen_abiertas_y_se_reutilizan(observador):
    primeras = [Conexion.obtener_conexion() for _ in range(3)]
    pids = {pid_de(conexion) for conexion in primeras}
    for conexion in primeras:
        Conexion.liberar_conexion(conexion)
    assert all(conexion.closed == 0 for conexion in primeras)
    assert Conexion.estadisticas()["libres"] == 3
    assert _backends(observador) == pids

    segundas = [Conexion.obtener_conexion() for _ in range(3)]
    try:
        assert {pid_de(conexion) for conexion in segundas} == pids
    finally:
        for conexion in segundas:
            Conexion.liberar_conexion(conexion)


def test_conexiones_inactivas_sobre_el_minimo_se_cierran_al_devolver(observador, monkeypatch):
    _configurar_pool(monkeypatch, DB_POOL_MIN="2", DB_POOL_MAX_IDLE="0.3")
    prestadas = [Conexion.obtener_conexion() for _ in range(4)]
    for conexion in prestadas:
        Conexion.liberar_conexion(conexion)
    devueltas = time.monotonic()
    assert Conexion.estadisticas()["libres"] == 4  # recién usadas: no se recorta nada

    _esperar_a_superar(devueltas, 0.3)
    conexion = Conexion.obtener_conexion()
    pid_reciente = pid_de(conexion)
    Conexion.liberar_conexion(conexion)  # el recorte ocurre al devolver

    estadisticas = Conexion.estadisticas()
    assert estadisticas["libres"] == 2  # nunca por debajo del mínimo
    assert estadisticas["en_uso"] == 0
    _esperar_hasta(lambda: len(_backends(observador)) == 2, que="quedar 2 backends")
    assert pid_reciente in _backends(observador)  # se conserva la que se acaba de usar


def test_backends_terminados_se_reemplazan_sin_error_visible(observador, caplog):
    caplog.set_level(logging.DEBUG, logger="acceso_datos")
    prestadas = [Conexion.obtener_conexion() for _ in range(3)]
    viejos = {pid_de(conexion) for conexion in prestadas}
    for conexion in prestadas:
        Conexion.liberar_conexion(conexion)
    devueltas = time.monotonic()
    for pid in viejos:
        terminar_backend(observador, pid)

    # Solo se comprueban las conexiones inactivas más de VALIDAR_SI_INACTIVA segundos.
    _esperar_a_superar(devueltas, VALIDAR_SI_INACTIVA)
    nuevas = [Conexion.obtener_conexion() for _ in range(3)]
    try:
        nuevos = {pid_de(conexion) for conexion in nuevas}  # sin excepción: se reemplazaron
    finally:
        for conexion in nuevas:
            Conexion.liberar_conexion(conexion)
    assert len(nuevos) == 3
    assert not nuevos & viejos
    # En el log, no en la consola (WARNING): quien usa el programa no nota nada.
    anotadas = [r for r in caplog.records if r.levelno == logging.INFO]
    assert sum("ya no respondía" in r.getMessage() for r in anotadas) == 3


@pytest.mark.parametrize("como", ["cerrada_por_el_cliente", "terminada_por_el_servidor"])
def test_conexion_rota_devuelta_se_descarta_y_no_cuenta_en_uso(observador, caplog, como):
    caplog.set_level(logging.DEBUG, logger="acceso_datos")
    conexion = Conexion.obtener_conexion()
    pid = pid_de(conexion)
    if como == "cerrada_por_el_cliente":
        conexion.close()
    else:
        terminar_backend(observador, pid)
        with pytest.raises(psycopg2.OperationalError):
            pid_de(conexion)
    assert conexion.closed

    Conexion.liberar_conexion(conexion)
    assert Conexion.estadisticas() == {
        "minimo": 1,
        "maximo": 5,
        "en_uso": 0,
        "libres": 0,
        "esperando": 0,
    }
    # En el log (INFO), no en la consola: quien usa el programa no tiene nada que hacer.
    assert any(r.levelno == logging.INFO and "rota" in r.getMessage() for r in caplog.records)
    nueva = Conexion.obtener_conexion()
    try:
        assert pid_de(nueva) != pid
    finally:
        Conexion.liberar_conexion(nueva)


def test_devolver_dos_veces_lanza_error_acceso_datos(base_limpia):
    conexion = Conexion.obtener_conexion()
    Conexion.liberar_conexion(conexion)
    with pytest.raises(ErrorAccesoDatos, match="dos veces"):
        Conexion.liberar_conexion(conexion)
    # El segundo intento no la duplicó entre las libres.
    assert Conexion.estadisticas()["libres"] == 1
    assert Conexion.estadisticas()["en_uso"] == 0


def test_devolver_una_conexion_ajena_al_pool_lanza_error_acceso_datos(base_limpia):
    ajena = psycopg2.connect(**base_limpia.parametros_conexion())
    try:
        with pytest.raises(ErrorAccesoDatos):
            Conexion.liberar_conexion(ajena)
    finally:
        ajena.close()


def test_cerrar_conexiones_no_deja_backends(observador):
    prestadas = [Conexion.obtener_conexion() for _ in range(3)]
    for conexion in prestadas[:2]:
        Conexion.liberar_conexion(conexion)
    assert len(_backends(observador)) == 3

    Conexion.cerrar_conexiones()  # también cierra la que sigue prestada
    _esperar_hasta(lambda: not _backends(observador), que="no quedar backends")
    assert prestadas[2].closed
    Conexion.liberar_conexion(prestadas[2])  # devolverla tarde no es un error
    assert Conexion.estadisticas()["en_uso"] == 0


def test_application_name_visible_en_pg_stat_activity(observador):
    conexion = Conexion.obtener_conexion()
    try:
        pid = pid_de(conexion)
        with observador.cursor() as cursor:
            cursor.execute("SELECT application_name FROM pg_stat_activity WHERE pid = %s", (pid,))
            assert cursor.fetchone()[0] == APLICACION
    finally:
        Conexion.liberar_conexion(conexion)


# --- servidor parado o inalcanzable --------------------------------------------------------


def test_servidor_inalcanzable_da_conexion_error_sin_la_contrasena(entorno_aparte, caplog):
    caplog.set_level(logging.DEBUG, logger="acceso_datos")
    puerto = _puerto_cerrado()
    entorno_aparte.setenv("DB_HOST", "127.0.0.1")
    entorno_aparte.setenv("DB_PORT", str(puerto))
    entorno_aparte.setenv("DB_PASSWORD", CONTRASENA_UNICA)
    Conexion.cerrar_conexiones()

    inicio = time.monotonic()
    with pytest.raises(ConexionError) as error:
        Conexion.obtener_conexion()
    assert time.monotonic() - inicio < COTA_CUELGUE
    assert not isinstance(error.value, psycopg2.Error)
    assert f"127.0.0.1:{puerto}" in str(error.value)
    assert CONTRASENA_UNICA not in str(error.value)
    assert CONTRASENA_UNICA not in caplog.text


def test_servidor_parado_da_conexion_error_y_al_arrancar_vuelve_a_funcionar(
    servidor_propio, caplog
):
    caplog.set_level(logging.DEBUG, logger="acceso_datos")
    conexion = Conexion.obtener_conexion()
    pid_antes = pid_de(conexion)
    Conexion.liberar_conexion(conexion)
    devuelta = time.monotonic()

    servidor_propio.detener()
    _esperar_a_superar(devuelta, VALIDAR_SI_INACTIVA)
    for _ in range(2):  # la ociosa muerta se descarta; luego, ya sin conexiones, igual
        inicio = time.monotonic()
        with pytest.raises(ConexionError) as error:
            Conexion.obtener_conexion()
        assert time.monotonic() - inicio < COTA_CUELGUE
        mensaje = str(error.value)
        assert f"el socket de la carpeta {servidor_propio.socket}" in mensaje
        assert "no hay ningún servidor con su socket en esa carpeta" in mensaje
        assert CONTRASENA_UNICA not in mensaje
        assert Conexion.estadisticas()["en_uso"] == 0
    assert CONTRASENA_UNICA not in caplog.text

    servidor_propio.arrancar()
    conexion = Conexion.obtener_conexion()  # mismo proceso, mismo pool: sin reiniciar nada
    try:
        assert pid_de(conexion) != pid_antes
    finally:
        Conexion.liberar_conexion(conexion)
    assert Conexion.estadisticas()["en_uso"] == 0


def test_tras_reiniciar_el_servidor_las_conexiones_ociosas_se_reemplazan_sin_error(
    servidor_propio,
):
    prestadas = [Conexion.obtener_conexion() for _ in range(2)]
    viejos = {pid_de(conexion) for conexion in prestadas}
    for conexion in prestadas:
        Conexion.liberar_conexion(conexion)
    devueltas = time.monotonic()

    servidor_propio.detener()
    servidor_propio.arrancar()
    _esperar_a_superar(devueltas, VALIDAR_SI_INACTIVA)
    nuevas = [Conexion.obtener_conexion() for _ in range(2)]
    try:
        nuevos = {pid_de(conexion) for conexion in nuevas}  # sin excepción
    finally:
        for conexion in nuevas:
            Conexion.liberar_conexion(conexion)
    assert len(nuevos) == 2
    assert not nuevos & viejos


def test_servidor_que_no_responde_da_conexion_error_en_tiempo_acotado(entorno_aparte):
    # Acepta la conexión TCP (la cola del sistema) pero nunca contesta: solo
    # connect_timeout evita que el programa se quede colgado.
    resultado = []

    def conectar() -> None:
        try:
            Conexion.obtener_conexion()
        except Exception as error:
            resultado.append(error)

    with socket.socket() as mudo:
        mudo.bind(("127.0.0.1", 0))
        mudo.listen()
        puerto = mudo.getsockname()[1]
        entorno_aparte.setenv("DB_HOST", "127.0.0.1")
        entorno_aparte.setenv("DB_PORT", str(puerto))
        entorno_aparte.setenv("DB_CONNECT_TIMEOUT", "1")
        Conexion.cerrar_conexiones()
        # En un hilo aparte: si falta el límite, el test falla en vez de colgarse (libpq
        # espera en C y no lo interrumpe nadie; al cerrar `mudo` el hilo queda libre).
        hilo = threading.Thread(target=conectar, daemon=True)
        hilo.start()
        hilo.join(COTA_CUELGUE)
        assert not hilo.is_alive(), "conectar a un servidor mudo no terminó: ¿connect_timeout?"
    [error] = resultado
    assert isinstance(error, ConexionError)
    assert f"127.0.0.1:{puerto}" in str(error)
    assert "no contestó en DB_CONNECT_TIMEOUT" in str(error)  # no un rechazo


def test_login_rechazado_da_conexion_error_con_servidor_y_sin_contrasena(
    entorno_aparte, servidor_de_pruebas, caplog
):
    caplog.set_level(logging.DEBUG, logger="acceso_datos")
    entorno_aparte.setenv("DB_USER", "usuario_que_no_existe")
    entorno_aparte.setenv("DB_PASSWORD", CONTRASENA_UNICA)
    Conexion.cerrar_conexiones()
    with pytest.raises(ConexionError) as error:
        Conexion.obtener_conexion()
    mensaje = str(error.value)
    assert f"en {servidor_de_pruebas.nombres_de_servidores()} (base" in mensaje
    assert "usuario_que_no_existe" in mensaje
    assert CONTRASENA_UNICA not in mensaje
    assert CONTRASENA_UNICA not in caplog.text


# --- avisos en el log ---------------------------------------------------------------------


def test_aviso_de_posible_fuga_si_una_conexion_se_retiene_demasiado(
    base_limpia, monkeypatch, caplog
):
    caplog.set_level(logging.DEBUG, logger="acceso_datos")
    _configurar_pool(monkeypatch, DB_POOL_LEAK_WARN="0.2")
    conexion = Conexion.obtener_conexion()
    prestada = time.monotonic()
    try:
        _esperar_a_superar(prestada, 0.2)
        Conexion.estadisticas()
        Conexion.estadisticas()  # se avisa una vez por préstamo, no en cada consulta
    finally:
        Conexion.liberar_conexion(conexion)
    avisos = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert sum("Posible fuga" in aviso for aviso in avisos) == 1
    assert any("estuvo prestada" in aviso for aviso in avisos)


def test_aviso_de_posible_fuga_al_prestar_otra_aunque_el_pool_no_se_agote(
    base_limpia, monkeypatch, caplog
):
    caplog.set_level(logging.DEBUG, logger="acceso_datos")
    _configurar_pool(monkeypatch, DB_POOL_LEAK_WARN="0.2")
    olvidada = Conexion.obtener_conexion()
    prestada = time.monotonic()
    try:
        _esperar_a_superar(prestada, 0.2)
        for _ in range(2):  # el resto del programa sigue trabajando con el pool
            Conexion.liberar_conexion(Conexion.obtener_conexion())
    finally:
        Conexion.liberar_conexion(olvidada)
    avisos = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert sum("Posible fuga" in aviso for aviso in avisos) == 1


def test_aviso_cuando_un_hilo_espera_mas_de_un_segundo(base_limpia, monkeypatch, caplog):
    caplog.set_level(logging.DEBUG, logger="acceso_datos")
    _configurar_pool(monkeypatch, DB_POOL_MAX="1")
    retenida = Conexion.obtener_conexion()
    with ThreadPoolExecutor(max_workers=1) as ejecutor:
        try:
            futuro = ejecutor.submit(
                lambda: Conexion.liberar_conexion(Conexion.obtener_conexion(timeout=COTA_CUELGUE))
            )
            _esperar_hasta(_esperando(1), que="un hilo esperando")
            _esperar_a_superar(time.monotonic(), AVISO_ESPERA)
        finally:
            Conexion.liberar_conexion(retenida)
        futuro.result(timeout=COTA_CUELGUE)
    assert any(r.levelno == logging.WARNING and "esperó" in r.getMessage() for r in caplog.records)


# --- mensajes de fallo al conectar (función pura) -------------------------------------


def test_fallo_del_embebido_aconseja_reiniciar_y_mirar_su_log_no_tocar_db_host(tmp_path):
    configuracion = Configuracion(embebido=True, host=str(tmp_path), directorio_embebido=tmp_path)
    error = psycopg2.OperationalError(
        f'connection to server on socket "{tmp_path}/.s.PGSQL.5432" failed: No such file'
    )

    mensaje = describir_fallo_de_conexion(configuracion, error)

    assert str(tmp_path / "log") in mensaje
    assert "DB_HOST" not in mensaje


# Lo que dice libpq en cada causa conocida, y la causa y el consejo que se ven en su lugar.
CAUSAS_CONOCIDAS = [
    pytest.param(
        'connection to server at "127.0.0.1", port 1 failed: Connection refused\n'
        "\tIs the server running on that host and accepting TCP/IP connections?\n",
        "no hay ningún servidor escuchando allí",
        "DB_PORT",
        id="servidor-parado",
    ),
    pytest.param(
        'connection to server on socket "/tmp/x/.s.PGSQL.5432" failed: No such file or '
        "directory\n\tIs the server running locally and accepting connections on that socket?",
        "no hay ningún servidor con su socket en esa carpeta",
        "DB_HOST",
        id="sin-socket",
    ),
    pytest.param(
        'connection to server at "127.0.0.1", port 5432 failed: FATAL:  password '
        'authentication failed for user "alumno"',
        "el servidor rechazó el usuario o la contraseña",
        "DB_PASSWORD",
        id="autenticacion",
    ),
    pytest.param(
        'connection to server at "127.0.0.1", port 5432 failed: FATAL:  database "curso" '
        "does not exist",
        "esa base de datos no existe en el servidor",
        "CREATE DATABASE curso",
        id="base-desconocida",
    ),
    pytest.param(
        'FATAL:  role "nadie" does not exist', "ese usuario no existe", "DB_USER", id="usuario"
    ),
    pytest.param("timeout expired", "no contestó en DB_CONNECT_TIMEOUT", "DB_HOST", id="plazo"),
    pytest.param(
        'could not translate host name "servidro" to address: Name or service not known',
        "no hay ningún servidor con ese nombre",
        "DB_HOST",
        id="nombre-desconocido",
    ),
]


@pytest.mark.parametrize(("libpq", "causa", "consejo"), CAUSAS_CONOCIDAS)
def test_cada_causa_conocida_se_dice_en_espanol_sin_el_ingles_de_libpq(libpq, causa, consejo):
    configuracion = Configuracion(embebido=False, host="127.0.0.1", base="curso")

    mensaje = describir_fallo_de_conexion(configuracion, psycopg2.OperationalError(libpq))

    assert f"): {causa}" in mensaje
    assert consejo in mensaje
    assert "failed" not in mensaje
    assert problemas_de_idioma(mensaje) == []


def test_una_causa_desconocida_dice_que_el_detalle_esta_en_el_log():
    configuracion = Configuracion(embebido=False, host="127.0.0.1")
    error = psycopg2.OperationalError("SSL SYSCALL error: EOF detected")

    mensaje = describir_fallo_de_conexion(configuracion, error)

    assert "el detalle está en el log" in mensaje
    assert "SSL" not in mensaje


def test_lo_que_dijo_libpq_queda_en_el_log_y_en_pantalla_solo_la_causa(
    servidor_de_pruebas, monkeypatch, caplog
):
    caplog.set_level(logging.DEBUG, logger="acceso_datos")
    with socket.socket() as libre:
        libre.bind(("127.0.0.1", 0))
        puerto = libre.getsockname()[1]  # al cerrarse, nadie escucha en él
    _configurar_pool(monkeypatch, DB_HOST="127.0.0.1", DB_PORT=str(puerto), DB_POOL_MIN="0")

    with pytest.raises(ConexionError) as error:
        Conexion.obtener_conexion()

    assert f"127.0.0.1:{puerto}" in str(error.value)
    assert "Connection refused" not in str(error.value)
    assert any("Connection refused" in registro.getMessage() for registro in caplog.records)


def test_un_socket_se_nombra_por_su_carpeta_no_como_servidor_y_puerto(tmp_path):
    configuracion = Configuracion(embebido=False, host=str(tmp_path), base="curso")
    error = psycopg2.OperationalError("No such file or directory")

    mensaje = describir_fallo_de_conexion(configuracion, error)

    assert f"en el socket de la carpeta {tmp_path} (base" in mensaje
    assert f"{tmp_path}:5432" not in mensaje


@pytest.mark.parametrize(
    ("password", "usuario", "base", "se_ve"),
    [
        # La contraseña no está en el mensaje: nada que tapar en las palabras que la contienen.
        ("y", "alumno", "curso", "Compruebe que el servidor está en marcha y que DB_HOST y"),
        ("test", "alumno", "test_db", "base 'test_db'"),
        # Igual que el usuario (como en el curso): taparla diría que son iguales.
        ("postgres", "postgres", "curso", "usuario 'postgres'"),
    ],
    ids=["una-letra", "dentro-de-otra-palabra", "igual-que-el-usuario"],
)
def test_una_contrasena_corta_o_comun_no_desfigura_el_mensaje_ni_se_delata(
    password, usuario, base, se_ve
):
    configuracion = Configuracion(
        embebido=False, host="127.0.0.1", usuario=usuario, base=base, password=password
    )
    error = psycopg2.OperationalError("Connection refused")

    mensaje = describir_fallo_de_conexion(configuracion, error)

    assert se_ve in mensaje
    assert "***" not in mensaje
    assert "***" not in configuracion.destino()


@pytest.mark.parametrize("forma", ["Cl@ve/Unica 7f", "Cl%40ve%2FUnica%207f"])
def test_el_mensaje_de_fallo_nunca_lleva_la_contrasena_aunque_este_en_el_servidor_o_la_base(
    forma,
):
    # Última línea de defensa: si la contraseña (o su forma codificada de URL) acaba en el
    # servidor, la base, el usuario o el texto de libpq, se tapa en todo el mensaje.
    configuracion = Configuracion(
        embebido=False, host=f"h-{forma}", base=f"b-{forma}", usuario=f"u-{forma}",
        password="Cl@ve/Unica 7f",
    )  # fmt: skip
    error = psycopg2.OperationalError(f'could not translate host name "h-{forma}" to address')

    mensaje = describir_fallo_de_conexion(configuracion, error)

    assert forma not in mensaje
    assert "Unica" not in mensaje
    assert "h-***" in mensaje
    assert forma not in configuracion.destino()


def test_usuario_inexistente_aconseja_revisar_db_user():
    configuracion = Configuracion(embebido=False, host="127.0.0.1", usuario="nadie")
    error = psycopg2.OperationalError('FATAL:  role "nadie" does not exist')

    mensaje = describir_fallo_de_conexion(configuracion, error)

    assert "127.0.0.1:5432" in mensaje
    assert "Revise DB_USER" in mensaje
