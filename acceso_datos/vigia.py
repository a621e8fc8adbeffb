"""El vigía: un hilo que acota cada espera al servidor (DB_QUERY_TIMEOUT) y atiende Ctrl-C.

psycopg2 espera la respuesta del servidor dentro de libpq, en C, sin límite: si el servidor
deja de contestar (una Wi-Fi que se cae, un NAT que olvida la conexión, una máquina
congelada), la espera no acaba nunca, y Ctrl-C no llega hasta que el servidor responda.

Las conexiones del pool siguen esperando así, en C y sin el GIL (lo que deja trabajar a
los demás hilos), pero cada llamada que espera al servidor se anota antes «en vuelo» con su
plazo y se borra al volver: anotar es poner y quitar una entrada de un diccionario, sin
candados (cada operación del diccionario es atómica con el GIL). Un solo hilo por proceso,
el vigía, repasa las anotadas cada `PERIODO` segundos. A la que pasó su plazo la abandona:
corta su socket (`shutdown`), libpq vuelve en el acto con un error, y quien llamaba lo
recibe traducido a `ServidorNoRespondeError`. Al servidor se le pide además que cancele
la orden, en un hilo aparte para que el vigía nunca se quede esperando a un servidor mudo.

Ctrl-C: mientras libpq espera en C, Python solo apunta la señal. Con
`signal.set_wakeup_fd`, el intérprete escribe además el número de la señal en una tubería
que el vigía también escucha: al leer SIGINT, SIGTERM o SIGHUP abandona lo que el hilo
principal tenga en vuelo, libpq vuelve y Python lanza la excepción de la señal.
"""

import codecs
import contextlib
import itertools
import os
import select
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, Protocol, TypeVar

from psycopg2 import extensions

from acceso_datos.logger_base import log

PERIODO = 0.1  # segundos entre repasos: el plazo real es DB_QUERY_TIMEOUT + esto, como mucho
# Las señales que, en el hilo principal, lanzan una excepción (Ctrl-C, y SIGTERM/SIGHUP con
# `senales.ejecutar_atendiendo_senales`): cortan lo que ese hilo espera del servidor.
SENALES_QUE_CORTAN = frozenset(
    int(getattr(signal, nombre))
    for nombre in ("SIGINT", "SIGTERM", "SIGHUP")
    if hasattr(signal, nombre)
)
_PARAR = b"\0"  # byte que despierta al vigía sin ser una señal (no hay señal 0)

T = TypeVar("T")


class Vigilada(Protocol):
    """Lo que el vigía necesita de una conexión: su plazo y cómo abandonarla."""

    espera_maxima: float | None
    senal_que_corto: int | None

    def abandonar(self, senal: int | None) -> None: ...

    def error_de_abandono(self, plazo: float) -> Exception: ...


# Llamadas en vuelo: turno -> (conexión, instante límite, hilo que espera). El turno es
# único por llamada: así quien la reclama primero (quien vuelve o el vigía) lo sabe con un
# solo `pop` atómico, sin candados.
_en_vuelo: dict[int, tuple[Any, float, int]] = {}
_turnos = itertools.count()
_reloj = time.monotonic
_hilo_actual = threading.get_ident

_candado = threading.Lock()  # solo para arrancar y parar el vigía, nunca en cada llamada
_pools = 0  # pools abiertos que lo necesitan
_hilo: threading.Thread | None = None
_detener = False
_tuberia: tuple[int, int] | None = None  # (lectura, escritura), la del wakeup fd
_wakeup_propio = False  # ¿pusimos nosotros el wakeup fd (y hay que quitarlo al final)?


def vigilar(conexion: Any, funcion: Callable[..., T], *argumentos: Any) -> T:
    """Llama a `funcion(*argumentos)`, que espera al servidor, anotada en vuelo con su plazo.

    Si el vigía la abandona (plazo vencido o Ctrl-C), traduce el error de psycopg2."""
    plazo = conexion.espera_maxima
    if plazo is None:  # sin límite (no es del pool)
        return funcion(*argumentos)
    turno = next(_turnos)
    limite = _reloj() + plazo
    _en_vuelo[turno] = (conexion, limite, _hilo_actual())
    try:
        return funcion(*argumentos)
    except Exception as error:
        # Un `pop` que no encuentra el turno: el vigía lo reclamó y cortó la conexión.
        if _en_vuelo.pop(turno, None) is None:
            if conexion.senal_que_corto is not None:
                _entregar(conexion.senal_que_corto)
            raise conexion.error_de_abandono(plazo) from error
        raise
    finally:
        # Si la respuesta llegó justo cuando el vigía la reclamaba, el resultado vale, pero
        # la conexión ya está marcada como abandonada: el pool la descartará al volver.
        _en_vuelo.pop(turno, None)


_cursor = extensions.cursor


class CursorVigilado(extensions.cursor):
    """Cursor cuyas órdenes (execute, executemany, callproc, copy_*) vigila el vigía.

    Leer las filas (fetch*) no espera al servidor: ya llegaron todas con la orden."""

    __slots__ = ()  # sin __dict__ por cursor: se crea uno en cada préstamo

    def execute(self, query: Any, vars: Any = None) -> None:
        vigilar(self.connection, _cursor.execute, self, query, vars)

    def executemany(self, query: Any, vars_list: Any) -> None:
        vigilar(self.connection, _cursor.executemany, self, query, vars_list)

    def callproc(self, procname: Any, parameters: Any = None) -> Any:
        return vigilar(self.connection, _cursor.callproc, self, procname, parameters)

    def copy_from(self, *argumentos: Any, **opciones: Any) -> None:
        vigilar(self.connection, lambda: _cursor.copy_from(self, *argumentos, **opciones))

    def copy_to(self, *argumentos: Any, **opciones: Any) -> None:
        vigilar(self.connection, lambda: _cursor.copy_to(self, *argumentos, **opciones))

    def copy_expert(self, *argumentos: Any, **opciones: Any) -> None:
        vigilar(self.connection, lambda: _cursor.copy_expert(self, *argumentos, **opciones))


class CursorConNombreVigilado(CursorVigilado):
    """Cursor con nombre (vive en el servidor, como el de `iterar`): ahí también leer las
    filas y cerrarlo van al servidor (FETCH, CLOSE), así que también se vigilan."""

    __slots__ = ()

    def fetchone(self) -> Any:
        return vigilar(self.connection, _cursor.fetchone, self)

    def fetchmany(self, size: int | None = None) -> Any:
        if size is None:
            return vigilar(self.connection, _cursor.fetchmany, self)
        return vigilar(self.connection, _cursor.fetchmany, self, size)

    def fetchall(self) -> Any:
        return vigilar(self.connection, _cursor.fetchall, self)

    def scroll(self, value: int, mode: str = "relative") -> None:
        vigilar(self.connection, _cursor.scroll, self, value, mode)

    # El ignore[override]: los stubs dicen que __iter__ devuelve el cursor, pero cualquier
    # iterador vale para `for`, que es lo único que se hace con él.
    def __iter__(self) -> Iterator[Any]:  # type: ignore[override]
        # Como psycopg2, un FETCH de `itersize` filas por viaje, pero vigilado una vez por
        # lote y no por fila: por fila, recorrer un millón costaba el doble (make bench).
        while True:
            filas = self.fetchmany(self.itersize)
            if not filas:
                return
            yield from filas

    def __next__(self) -> Any:
        return vigilar(self.connection, _cursor.__next__, self)

    def close(self) -> None:
        if not self.connection.closed:
            vigilar(self.connection, _cursor.close, self)
        else:
            _cursor.close(self)


def _entregar(senal: int) -> None:
    """Lanza la excepción de la señal que cortó la espera, si aún no llegó.

    Normalmente Python ya la lanzó al volver de libpq y no se llega aquí. Pero psycopg2, al
    descodificar el mensaje del error, a veces ejecuta el manejador y se traga su excepción:
    se repite, para que Ctrl-C sea Ctrl-C y no un error de conexión."""
    manejador = signal.getsignal(senal)
    if callable(manejador):
        manejador(senal, None)


def arrancar() -> None:
    """Un pool más lo necesita: pone en marcha el vigía (uno por proceso) si no lo está."""
    global _pools, _hilo, _detener, _tuberia
    with _candado:
        _pools += 1
        _detener = False
        if _tuberia is None:
            lectura, escritura = os.pipe()
            os.set_blocking(lectura, False)
            os.set_blocking(escritura, False)
            _tuberia = (lectura, escritura)
        _poner_wakeup_fd(_tuberia[1])
        if _hilo is None:
            _hilo = threading.Thread(target=_vigilar, name="acceso_datos-vigia", daemon=True)
            _hilo.start()


def soltar() -> None:
    """Un pool se cerró: si era el último, el vigía termina (cuando no quede nada en vuelo)
    y se devuelve el wakeup fd que hubiera antes."""
    global _pools, _detener
    with _candado:
        _pools = max(0, _pools - 1)
        if _pools:
            return
        _detener = True
        _quitar_wakeup_fd()
        if _tuberia is not None:
            _despertar(_tuberia[1])


def en_marcha() -> bool:
    """¿Hay un vigía vivo en este proceso?"""
    hilo = _hilo
    return hilo is not None and hilo.is_alive()


def cortar_socket(socket_de_la_conexion: socket.socket) -> None:
    """Corta un socket en los dos sentidos: quien lo espera en libpq vuelve en el acto."""
    # Si ya estaba cerrado o cortado (OSError), no queda nada que cortar.
    with contextlib.suppress(OSError):
        socket_de_la_conexion.shutdown(socket.SHUT_RDWR)


@contextlib.contextmanager
def descodificando_en_c() -> Iterator[None]:
    """Mientras dura, las conexiones que se abren descodifican sus mensajes (UTF8) en C.

    psycopg2 descodifica el mensaje de un error con una función de Python (la de
    `encodings.utf_8`). Tras Ctrl-C, el intérprete ejecuta el manejador de la señal dentro
    de ella, y psycopg2, que no espera una excepción ahí, imprime su traza (pq_raise llama a
    PyErr_Print) y se la traga. Con la función de C (`codecs.utf_8_decode`, la misma que
    usa aquella) no se ejecuta código de Python, y la excepción de la señal se lanza al
    volver, como es debido. psycopg2 busca la función al conectar, en una tabla global: se
    cambia solo mientras conecta alguna conexión del pool (una ajena que conecte a la vez
    recibiría la de C, que da el mismo texto)."""
    global _conectando
    with _candado_codec:
        if _conectando == 0:
            _ANTERIOR_UTF8[:] = [extensions.encodings.get("UTF8")]
            extensions.encodings["UTF8"] = _CODEC_EN_C
        _conectando += 1
    try:
        yield
    finally:
        with _candado_codec:
            _conectando -= 1
            if _conectando == 0:
                anterior = _ANTERIOR_UTF8.pop()
                if anterior is None:
                    extensions.encodings.pop("UTF8", None)
                else:
                    extensions.encodings["UTF8"] = anterior


_CODEC_EN_C = "acceso_datos_utf8"
_candado_codec = threading.Lock()
_conectando = 0
_ANTERIOR_UTF8: list[str | None] = []


def _buscar_codec(nombre: str) -> codecs.CodecInfo | None:
    if nombre != _CODEC_EN_C:
        return None
    return codecs.CodecInfo(codecs.utf_8_encode, codecs.utf_8_decode, name=_CODEC_EN_C)


codecs.register(_buscar_codec)


# --- el hilo vigía ---------------------------------------------------------------------


def _vigilar() -> None:
    global _hilo, _tuberia
    while True:
        with _candado:
            if _detener and not _en_vuelo:
                # Nada que vigilar: el vigía termina y cierra su tubería (el wakeup fd ya
                # se quitó, así que el intérprete no volverá a escribir en ella).
                if _tuberia is not None and not _wakeup_propio:
                    for extremo in _tuberia:
                        os.close(extremo)
                    _tuberia = None
                _hilo = None
                return
            tuberia = _tuberia
        try:
            senales = _esperar_senales(tuberia)
            cortan = senales & SENALES_QUE_CORTAN
            if cortan:
                _abandonar_las_del_hilo_principal(min(cortan))
            _abandonar_las_vencidas()
        except Exception:  # el vigía no debe morir por un fallo suelto: se anota y sigue
            log.exception("Fallo en el vigía de las esperas al servidor")


def _esperar_senales(tuberia: tuple[int, int] | None) -> set[int]:
    """Espera un periodo (o hasta que llegue una señal) y devuelve las señales leídas."""
    if tuberia is None:
        time.sleep(PERIODO)
        return set()
    lectura = tuberia[0]
    if not select.select((lectura,), (), (), PERIODO)[0]:
        return set()
    leidas: set[int] = set()
    while True:  # vaciar la tubería: un byte por señal
        try:
            bloque = os.read(lectura, 512)
        except (BlockingIOError, InterruptedError):
            break
        except OSError:  # la cerraron al parar
            break
        if not bloque:
            break
        leidas.update(bloque)
    leidas.discard(_PARAR[0])
    return leidas


def _abandonar_las_vencidas() -> None:
    ahora = _reloj()
    # copy() es atómico con el GIL: los demás hilos pueden anotar y borrar mientras tanto.
    for turno, (conexion, limite, _) in _en_vuelo.copy().items():
        if ahora >= limite and _en_vuelo.pop(turno, None) is not None:
            _abandonar(conexion, None)


def _abandonar_las_del_hilo_principal(senal: int) -> None:
    principal = threading.main_thread().ident
    for turno, (conexion, _, hilo) in _en_vuelo.copy().items():
        if hilo == principal and _en_vuelo.pop(turno, None) is not None:
            _abandonar(conexion, senal)


def _abandonar(conexion: Vigilada, senal: int | None) -> None:
    try:
        conexion.abandonar(senal)
    except Exception:
        log.exception("No se pudo abandonar una conexión que no contestaba")


# --- el wakeup fd ----------------------------------------------------------------------


def _poner_wakeup_fd(escritura: int) -> None:
    """Con el candado. Solo el hilo principal puede ponerlo; se respeta uno ajeno."""
    global _wakeup_propio
    if _wakeup_propio or threading.current_thread() is not threading.main_thread():
        return
    anterior = signal.set_wakeup_fd(escritura, warn_on_full_buffer=False)
    if anterior != -1:
        # Otro ya lo usa (p. ej. el bucle de asyncio): se le devuelve el suyo.
        signal.set_wakeup_fd(anterior)
        log.warning(
            "Otro componente ya usa signal.set_wakeup_fd (¿asyncio?): Ctrl-C no cortará "
            "las esperas al servidor; DB_QUERY_TIMEOUT sí las sigue acotando"
        )
        return
    _wakeup_propio = True


def _quitar_wakeup_fd() -> None:
    """Con el candado. Deja el wakeup fd como estaba, si se puede desde este hilo."""
    global _wakeup_propio
    if not _wakeup_propio or threading.current_thread() is not threading.main_thread():
        return
    anterior = signal.set_wakeup_fd(-1)
    if _tuberia is None or anterior != _tuberia[1]:
        signal.set_wakeup_fd(anterior)  # otro lo cambió después de nosotros: el suyo se queda
    _wakeup_propio = False


def _despertar(escritura: int) -> None:
    # Con la tubería llena (OSError), el vigía ya tiene por qué despertar.
    with contextlib.suppress(OSError):
        os.write(escritura, _PARAR)


def _tras_fork_en_el_hijo() -> None:
    """En el hijo de un fork el vigía no existe (los hilos no se heredan) y la tubería es la
    del padre: se olvida todo, y el primer pool del hijo arranca los suyos."""
    global _candado, _pools, _hilo, _detener, _tuberia, _wakeup_propio
    _candado = threading.Lock()
    _en_vuelo.clear()
    _pools = 0
    _hilo = None
    _detener = False
    if _wakeup_propio:
        # ValueError: fork desde otro hilo, el hijo no puede tocarlo.
        with contextlib.suppress(ValueError):
            signal.set_wakeup_fd(-1)
    _wakeup_propio = False
    if _tuberia is not None:
        for extremo in _tuberia:
            os.close(extremo)
        _tuberia = None


if hasattr(os, "register_at_fork"):  # pragma: no branch (solo Windows no tiene fork)
    os.register_at_fork(after_in_child=_tras_fork_en_el_hijo)
