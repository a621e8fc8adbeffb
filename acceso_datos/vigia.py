"""El vigía: un hilo que acota cada espera al servidor (DB_QUERY_TIMEOUT) y atiende Ctrl-C.

psycopg2 espera la respuesta del servidor dentro de libpq, en C, sin límite: si el servidor
deja de contestar (una Wi-Fi que se cae, un NAT que olvida la conexión, una máquina
congelada), la espera no acaba nunca, y Ctrl-C no llega hasta que el servidor responda.

Las conexiones del pool siguen esperando así, en C y sin el GIL (lo que deja trabajar a
los demás hilos), pero cada llamada que espera al servidor se anota antes «en vuelo» con su
plazo y se borra al volver: anotar es poner y quitar una entrada de un diccionario, sin
candados (cada operación del diccionario es atómica con el GIL). Un solo hilo por proceso,
el vigía, repasa las anotadas cada `PERIODO` segundos. A la que pasó su plazo la
**reclama** y la abandona: corta su socket (`shutdown`), libpq vuelve en el acto con un
error, y quien llamaba recibe `ServidorNoRespondeError`. Al servidor se le pide además que
cancele la orden, en un hilo aparte para que el vigía nunca se quede esperando a un
servidor mudo.

Reclamar es quitar la llamada de las anotadas, y quien llamaba también la quita al volver:
el primero que lo consigue decide. Si vuelve antes, su resultado vale y el vigía no toca
la conexión. Si gana el vigía, la llamada falla aunque su respuesta llegara a la vez, y
quien llamaba espera a que el vigía acabe de abandonarla (`candado_del_vigia`): nada de
ese abandono puede llegar después a la conexión, ni a otro que la reciba del pool. Lo que
se intente después con ella falla sin enviar nada.

Ctrl-C: mientras libpq espera en C, Python solo apunta la señal. Con
`signal.set_wakeup_fd`, el intérprete escribe además el número de la señal en una tubería
que el vigía también escucha. Al leer SIGINT, SIGTERM o SIGHUP, el vigía deja pasar
`GRACIA` segundos: lo que el hilo principal tenía en vuelo y sigue esperando entonces
(una espera de verdad, no una orden de milisegundos) lo abandona, libpq vuelve y Python
lanza la excepción de la señal.
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

from acceso_datos import interrupciones
from acceso_datos.logger_base import log

PERIODO = 0.1  # segundos entre repasos: el plazo real es DB_QUERY_TIMEOUT + esto, como mucho
# Tras Ctrl-C, lo que el hilo principal aún espera pasado esto se abandona: lo que acaba
# antes (un commit, un SET) conserva su resultado, y la excepción llega al volver.
GRACIA = 0.1
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
    abandonada: bool
    # Lo tiene el vigía mientras reclama y abandona una llamada de la conexión.
    candado_del_vigia: threading.Lock

    def abandonar(self, senal: int | None) -> None: ...

    def error_de_abandono(self, plazo: float) -> Exception: ...

    def error_de_abandonada(self) -> Exception: ...


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

    Si el vigía la reclama (plazo vencido o Ctrl-C), falla con el error de la conexión
    abandonada; en una conexión ya abandonada, falla sin enviar nada."""
    plazo = conexion.espera_maxima
    if plazo is None:  # sin límite (no es del pool)
        return funcion(*argumentos)
    if conexion.abandonada:
        raise conexion.error_de_abandonada()
    turno = next(_turnos)
    _en_vuelo[turno] = (conexion, _reloj() + plazo, _hilo_actual())
    try:
        resultado = funcion(*argumentos)
    except Exception as error:
        # Un `pop` que no encuentra el turno: el vigía lo reclamó.
        if _en_vuelo.pop(turno, None) is not None:
            raise
        _esperar_al_vigia(conexion)
        if _respuesta_del_servidor(error):
            raise  # un error de verdad, que llegó al vencer el plazo: se dice tal cual
        if conexion.senal_que_corto is not None:
            # Por si psycopg2 se tragó la excepción de la señal al descodificar el error.
            interrupciones.recibir(conexion.senal_que_corto)
        raise conexion.error_de_abandono(plazo) from error
    except BaseException:
        if _en_vuelo.pop(turno, None) is None:
            _esperar_al_vigia(conexion)
        raise
    if _en_vuelo.pop(turno, None) is None:
        # La respuesta llegó cuando el vigía ya la había reclamado: no vale.
        _esperar_al_vigia(conexion)
        raise conexion.error_de_abandono(plazo)
    return resultado


def _esperar_al_vigia(conexion: Vigilada) -> None:
    """Espera a que el vigía acabe de abandonar la conexión que reclamó."""
    with conexion.candado_del_vigia:
        pass


# Los errores que trae el propio servidor (tienen SQLSTATE). No lo son las clases 08
# (conexión) y 57P (servidor parado), ni 57014: la cancelación que pidió el vigía.
_NO_SON_RESPUESTA = ("08", "57P", "57014")


def _respuesta_del_servidor(error: Exception) -> bool:
    codigo = getattr(error, "pgcode", None)
    return codigo is not None and not codigo.startswith(_NO_SON_RESPUESTA)


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
        _atender_ctrl_c(_tuberia[1])
        if _hilo is None:
            _hilo = threading.Thread(target=_vigilar, name="acceso_datos-vigia", daemon=True)
            _hilo.start()


def atender_ctrl_c() -> bool:
    """Desde el hilo principal, lo que Ctrl-C necesita: el wakeup fd del vigía y los
    manejadores que aplazan la señal (ver `interrupciones`). True si quedó hecho; desde
    otro hilo no se puede (el pool lo intenta de nuevo cuando el principal lo usa)."""
    with _candado:
        return _tuberia is not None and _atender_ctrl_c(_tuberia[1])


def _atender_ctrl_c(escritura: int) -> bool:
    """Con el candado."""
    if threading.current_thread() is not threading.main_thread():
        return False
    _poner_wakeup_fd(escritura)
    return interrupciones.atender()


def soltar() -> None:
    """Un pool se cerró: si era el último, el vigía termina (cuando no quede nada en vuelo)
    y se devuelven el wakeup fd y los manejadores de señales que hubiera antes."""
    global _pools, _detener
    with _candado:
        _pools = max(0, _pools - 1)
        if _pools:
            return
        _detener = True
        _quitar_wakeup_fd()
        interrupciones.soltar()
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
                _restaurar_codec()


def _restaurar_codec() -> None:
    """Vuelve a poner la función de descodificar que había antes de conectar."""
    anterior = _ANTERIOR_UTF8.pop() if _ANTERIOR_UTF8 else None
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
    # Tras una señal, lo que el hilo principal tenía en vuelo: turno -> (la señal, cuándo
    # acaba su gracia). Otra señal antes de que acabe añade lo que haya en vuelo entonces.
    tras_senal: dict[int, tuple[int, float]] = {}
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
            ahora = _reloj()
            senal = _senal_para_el_principal(senales)
            if senal is not None:
                for turno in _en_vuelo_del_principal():
                    tras_senal.setdefault(turno, (senal, ahora + GRACIA))
            for turno, (senal, fin) in list(tras_senal.items()):
                if turno not in _en_vuelo:
                    del tras_senal[turno]  # volvió antes: su resultado vale
                elif ahora >= fin:
                    del tras_senal[turno]
                    _reclamar(turno, senal)
            _abandonar_las_vencidas(ahora)
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


def _senal_para_el_principal(leidas: set[int]) -> int | None:
    """La señal que corta las esperas del hilo principal: una recién leída de la tubería,
    o una que el hilo principal tiene aplazada (ver `interrupciones`)."""
    cortan = leidas & SENALES_QUE_CORTAN
    if cortan:
        return min(cortan)
    aplazadas = interrupciones.pendiente[:]  # una copia: el hilo principal la vacía
    return aplazadas[0][0] if aplazadas else None


def _en_vuelo_del_principal() -> set[int]:
    principal = threading.main_thread().ident
    # copy() es atómico con el GIL: los demás hilos pueden anotar y borrar mientras tanto.
    return {turno for turno, (_, _, hilo) in _en_vuelo.copy().items() if hilo == principal}


def _abandonar_las_vencidas(ahora: float) -> None:
    for turno, (_, limite, _) in _en_vuelo.copy().items():
        if ahora >= limite:
            _reclamar(turno, None)


def _reclamar(turno: int, senal: int | None) -> None:
    """Reclama la llamada `turno`, si sigue en vuelo, y abandona su conexión: para quien
    llamaba, las dos cosas a la vez (ver `vigilar`)."""
    entrada = _en_vuelo.get(turno)
    if entrada is None:
        return
    conexion: Vigilada = entrada[0]
    with conexion.candado_del_vigia:
        if _en_vuelo.pop(turno, None) is None:
            return  # volvió justo antes: su resultado vale
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
    global _candado_codec, _conectando
    # Los candados pudo tenerlos otro hilo del padre, que en el hijo no existe: nadie los
    # soltaría. Si ese hilo estaba abriendo una conexión, también se deshace su cambio de
    # la función de descodificar.
    _candado = threading.Lock()
    _candado_codec = threading.Lock()
    if _conectando:
        _conectando = 0
        _restaurar_codec()
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
