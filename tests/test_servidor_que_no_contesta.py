"""Un servidor que deja de contestar, con un proxy TCP congelado en medio (ver proxy_tcp.py).

Cada espera tiene su límite: la del servidor (DB_QUERY_TIMEOUT; el ping de una conexión
ociosa, min(5, DB_QUERY_TIMEOUT)), la de conectar (DB_CONNECT_TIMEOUT) y la del turno
(DB_POOL_TIMEOUT). Al volver el servidor, el mismo proceso sigue funcionando.
"""

import threading
import time

import pytest
from ayudas import usernames_confirmados

from acceso_datos import pool as modulo_pool
from acceso_datos import vigia
from acceso_datos.conectar import MARGEN_AL_CONECTAR
from acceso_datos.conexion import Conexion
from acceso_datos.cursor_del_pool import CursorDelPool
from acceso_datos.errores import (
    ConexionError,
    ErrorAccesoDatos,
    RegistroDuplicadoError,
    ResultadoDesconocidoError,
    ServidorNoRespondeError,
)
from acceso_datos.usuario import Usuario
from acceso_datos.usuario_dao import UsuarioDAO

CONTRASENA_UNICA = "clave-que-no-debe-verse-3e9b1d"
PASSWORD = "Clave-De-Ana-123"
COTA_CUELGUE = 15.0  # segundos: una llamada que no vuelve en este tiempo está colgada
MARGEN = 2.0  # segundos sobre el límite que se prueba: el reparto de la CPU, no un cuelgue
PLAZO = 0.5  # DB_QUERY_TIMEOUT de estos tests: corto, para que la suite no se alargue
CONECTAR = 1  # DB_CONNECT_TIMEOUT (libpq solo admite segundos enteros)
EQUILIBRADAS = {"en_uso": 0, "esperando": 0}


def _limites(monkeypatch, **variables: str) -> None:
    monkeypatch.setenv("DB_PASSWORD", CONTRASENA_UNICA)  # el servidor de pruebas no la pide
    for nombre, valor in variables.items():
        monkeypatch.setenv(nombre, valor)
    Conexion.cerrar_conexiones()


def _en_hilo(funcion, plazo: float = COTA_CUELGUE) -> tuple[BaseException | object, float]:
    """Llama a `funcion` en otro hilo; devuelve (resultado o excepción, segundos).

    Si no vuelve en `plazo`, el test falla en vez de colgarse (al cerrar el proxy, el
    hilo queda libre)."""
    salida: list = []

    def llamar() -> None:
        inicio = time.monotonic()
        try:
            resultado = funcion()
        except BaseException as error:
            resultado = error
        salida.append((resultado, time.monotonic() - inicio))

    hilo = threading.Thread(target=llamar, daemon=True)
    hilo.start()
    hilo.join(plazo)
    if hilo.is_alive():
        pytest.fail(f"la llamada seguía esperando al servidor tras {plazo} s")
    return salida[0]


def _contadores() -> dict[str, int]:
    estadisticas = Conexion.estadisticas()
    return {clave: estadisticas[clave] for clave in EQUILIBRADAS}


def test_consulta_sin_respuesta_da_servidor_no_responde_en_db_query_timeout(
    proxy, monkeypatch, caplog
):
    _limites(monkeypatch, DB_QUERY_TIMEOUT=str(PLAZO))
    assert UsuarioDAO.contar() == 0  # la conexión del pool funciona a través del proxy
    proxy.congelar()

    error, segundos = _en_hilo(UsuarioDAO.contar)

    assert isinstance(error, ServidorNoRespondeError), error
    assert PLAZO <= segundos < PLAZO + MARGEN
    mensaje = str(error)
    assert f"127.0.0.1:{proxy.puerto}" in mensaje  # dónde
    assert "0,5 s" in mensaje and "DB_QUERY_TIMEOUT" in mensaje  # cuánto (PLAZO) y qué cambiar
    assert CONTRASENA_UNICA not in mensaje
    assert CONTRASENA_UNICA not in caplog.text
    assert _contadores() == EQUILIBRADAS  # la conexión se descartó, no se devolvió

    proxy.descongelar()
    assert UsuarioDAO.contar() == 0  # el mismo proceso, sin reiniciar nada
    assert _contadores() == EQUILIBRADAS


def test_comprobar_una_conexion_ociosa_tiene_limite_y_prestar_no_se_cuelga(proxy, monkeypatch):
    _limites(monkeypatch, DB_QUERY_TIMEOUT=str(PLAZO), DB_CONNECT_TIMEOUT=str(CONECTAR))
    # Toda conexión libre cuenta como ociosa: se comprueba (SELECT 1) antes de prestarla.
    monkeypatch.setattr(modulo_pool, "VALIDAR_SI_INACTIVA", 0.0)
    Conexion.liberar_conexion(Conexion.obtener_conexion())
    proxy.congelar()

    error, segundos = _en_hilo(lambda: Conexion.obtener_conexion(timeout=2))

    # El ping no contesta en min(5, DB_QUERY_TIMEOUT); la conexión nueva que la sustituiría
    # tampoco, en DB_CONNECT_TIMEOUT.
    assert isinstance(error, ConexionError), error
    assert segundos < PLAZO + CONECTAR + MARGEN
    assert _contadores() == EQUILIBRADAS

    proxy.descongelar()
    Conexion.liberar_conexion(Conexion.obtener_conexion())
    assert _contadores() == EQUILIBRADAS


def test_sin_respuesta_a_mitad_de_una_transaccion_no_queda_nada(proxy, monkeypatch, observador):
    _limites(monkeypatch, DB_QUERY_TIMEOUT=str(PLAZO))

    def transaccion() -> None:
        with CursorDelPool() as cursor:
            UsuarioDAO.insertar(Usuario(username="ana", password=PASSWORD), cursor=cursor)
            proxy.congelar()
            UsuarioDAO.insertar(Usuario(username="bea", password=PASSWORD), cursor=cursor)

    error, segundos = _en_hilo(transaccion)

    assert isinstance(error, ServidorNoRespondeError), error
    assert segundos < PLAZO + MARGEN
    proxy.descongelar()
    assert UsuarioDAO.contar() == 0
    assert usernames_confirmados(observador) == []
    assert _contadores() == EQUILIBRADAS


def test_doce_hilos_sobre_cinco_conexiones_vuelven_todos_a_tiempo_y_el_pool_se_recupera(
    proxy, monkeypatch
):
    # DB_QUERY_TIMEOUT no es menor que DB_CONNECT_TIMEOUT: un hilo que recibe un hueco
    # tampoco pasa de ahí al conectar.
    turno, espera = 0.5, CONECTAR
    _limites(
        monkeypatch,
        DB_POOL_MAX="5",
        DB_POOL_TIMEOUT=str(turno),
        DB_QUERY_TIMEOUT=str(espera),
        DB_CONNECT_TIMEOUT=str(CONECTAR),
    )
    UsuarioDAO.contar()
    proxy.congelar()
    hilos = 12
    salida = threading.Barrier(hilos, timeout=COTA_CUELGUE)
    resultados: list = [None] * hilos

    def trabajar(indice: int) -> None:
        salida.wait()
        inicio = time.monotonic()
        try:
            UsuarioDAO.contar()
            resultados[indice] = ("sin error", time.monotonic() - inicio)
        except BaseException as error:
            resultados[indice] = (error, time.monotonic() - inicio)

    trabajadores = [threading.Thread(target=trabajar, args=(i,), daemon=True) for i in range(hilos)]
    for trabajador in trabajadores:
        trabajador.start()
    limite = time.monotonic() + COTA_CUELGUE
    for trabajador in trabajadores:
        trabajador.join(max(0.0, limite - time.monotonic()))
    assert not any(t.is_alive() for t in trabajadores), "algún hilo sigue esperando"

    # DB_POOL_TIMEOUT + DB_QUERY_TIMEOUT y poco más: ninguna espera se encadena con otra.
    for error, segundos in resultados:
        assert isinstance(error, ErrorAccesoDatos), error
        assert segundos < turno + espera + MARGEN, f"{type(error).__name__} tras {segundos:.1f} s"
    assert _contadores() == EQUILIBRADAS

    proxy.descongelar()
    with CursorDelPool() as cursor:
        cursor.execute("SELECT 1")
    assert UsuarioDAO.contar() == 0
    assert _contadores() == EQUILIBRADAS


def test_cerrar_conexiones_no_se_cuelga_con_el_servidor_congelado(proxy, monkeypatch):
    _limites(monkeypatch, DB_QUERY_TIMEOUT=str(PLAZO), DB_POOL_MIN="2")
    retenida = Conexion.obtener_conexion()  # una prestada y otra libre
    proxy.congelar()

    errores = []

    def consultar() -> None:
        try:
            with retenida.cursor() as cursor:
                cursor.execute("SELECT 1")
        except ErrorAccesoDatos as error:
            errores.append(error)

    atascado = threading.Thread(target=consultar, daemon=True)
    atascado.start()
    assert proxy.retenido.wait(COTA_CUELGUE), "la consulta no llegó al proxy"

    # La libre se cierra en el acto; la prestada, cuando su espera vence (DB_QUERY_TIMEOUT).
    _, segundos = _en_hilo(Conexion.cerrar_conexiones)

    assert segundos < PLAZO + MARGEN
    atascado.join(COTA_CUELGUE)
    assert not atascado.is_alive()
    assert [type(error) for error in errores] == [ServidorNoRespondeError]
    assert retenida.closed


def test_conexion_perdida_con_el_commit_en_vuelo_da_resultado_desconocido(proxy, observador):
    # El proxy reenvía el COMMIT y cierra los dos sockets: el servidor confirma, pero la
    # respuesta no llega. Decir «no se hizo» sería falso, y repetir daría un duplicado.
    proxy.cortar_tras_commit()

    with pytest.raises(ResultadoDesconocidoError) as error:
        UsuarioDAO.insertar(Usuario(username="ana", password=PASSWORD))

    assert proxy.commit_reenviado.is_set()
    mensaje = str(error.value)
    assert "no se sabe si" in mensaje
    assert "Compruébelo antes de repetir" in mensaje
    assert "no se hizo" not in mensaje
    assert _contadores() == EQUILIBRADAS
    # Se guardó de verdad (por eso el resultado era desconocido, no un fallo), y repetir
    # a ciegas da el duplicado que el mensaje evita.
    # El servidor acaba el COMMIT por su cuenta tras perder al cliente: se sondea.
    limite = time.monotonic() + COTA_CUELGUE
    while usernames_confirmados(observador) != ["ana"]:
        assert time.monotonic() < limite, "el COMMIT reenviado no llegó a confirmarse"
        time.sleep(0.01)
    with pytest.raises(RegistroDuplicadoError):
        UsuarioDAO.insertar(Usuario(username="ana", password=PASSWORD))


def test_sin_respuesta_al_commit_tambien_da_resultado_desconocido(proxy, monkeypatch):
    _limites(monkeypatch, DB_QUERY_TIMEOUT=str(PLAZO))
    proxy.congelar_tras_commit()

    error, segundos = _en_hilo(
        lambda: UsuarioDAO.insertar(Usuario(username="ana", password=PASSWORD))
    )

    assert isinstance(error, ResultadoDesconocidoError), error
    assert isinstance(error.__cause__, ServidorNoRespondeError)
    assert segundos < PLAZO + MARGEN
    proxy.descongelar()
    assert _contadores() == EQUILIBRADAS


def test_si_el_hilo_que_conecta_no_acaba_el_pool_se_rinde_tras_db_connect_timeout(
    base_limpia, monkeypatch
):
    # La avería: el hilo auxiliar que abre la conexión se queda parado antes de llegar a
    # libpq (aquí, otro hilo tiene el candado de descodificar), donde DB_CONNECT_TIMEOUT
    # no lo alcanza. La espera del pool tiene su propio límite: DB_CONNECT_TIMEOUT por
    # servidor, más un margen.
    _limites(monkeypatch, DB_CONNECT_TIMEOUT=str(CONECTAR), DB_POOL_MIN="0")
    tomado, soltar = threading.Event(), threading.Event()

    def tener_el_candado() -> None:
        with vigia._candado_codec:
            tomado.set()
            soltar.wait(COTA_CUELGUE)

    otro = threading.Thread(target=tener_el_candado, daemon=True)
    otro.start()
    assert tomado.wait(COTA_CUELGUE)
    try:
        inicio = time.monotonic()
        with pytest.raises(ConexionError, match="no acabó de abrirse"):
            Conexion.obtener_conexion()
        espera = time.monotonic() - inicio
    finally:
        soltar.set()
        otro.join(COTA_CUELGUE)
    assert espera < CONECTAR + MARGEN_AL_CONECTAR + MARGEN
    assert Conexion.estadisticas()["en_uso"] == 0
