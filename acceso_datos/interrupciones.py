"""Ctrl-C nunca parte en dos un paso del pool: la excepción espera a que el paso acabe.

Python lanza la excepción de una señal (KeyboardInterrupt con Ctrl-C, o `CierrePedido` con
SIGTERM y SIGHUP en los programas de consola) en el hilo principal y entre dos
instrucciones cualesquiera: al entrar en una función o al volver de una llamada a C. Si
llega justo cuando el pool pasa una conexión de «prestada» a «libre», la conexión queda
en ninguno de los dos sitios y su hueco se pierde para siempre.

Por eso el pool envuelve el manejador de esas señales. Las funciones que mueven una
conexión de un sitio a otro se marcan con `@protegida`: si la señal llega mientras el hilo
principal está dentro de una de ellas (o de algo que ella llame), el envoltorio solo la
anota, y la excepción se lanza al acabar la función, con el pool en orden
(`entregar_pendiente`). Las esperas (el turno en la cola, abrir una conexión) se marcan con
`@espera`: ahí la excepción llega en el acto aunque las llame una función protegida, que
sabe soltar lo que tenga. Las esperas al servidor las corta el vigía (ver `vigia`).

Para saber dónde está el hilo principal, el envoltorio mira la pila de llamadas que
recibe todo manejador de señal: marcar una función no cuesta nada mientras no llega
ninguna señal.
"""

import functools
import os
import signal
import sys
import threading
from collections.abc import Callable
from types import CodeType, FrameType
from typing import Any, TypeVar, cast

F = TypeVar("F", bound=Callable[..., Any])
Manejador = Callable[[int, FrameType | None], Any]

# Las señales cuya excepción puede llegar en mitad del código del pool.
SENALES = tuple(
    int(getattr(signal, nombre))
    for nombre in ("SIGINT", "SIGTERM", "SIGHUP")
    if hasattr(signal, nombre)
)

_PROTEGIDAS: set[CodeType] = set()
_ESPERAS: set[CodeType] = set()
# La señal anotada en una función protegida y aún sin entregar, con el manejador que la
# atiende; como mucho una, como el sistema con cada señal. Es una lista para que el pool
# compruebe `if pendiente:` en cada préstamo sin llamar a nada.
pendiente: list[tuple[int, Manejador]] = []


def protegida(funcion: F) -> F:
    """Una señal que llegue mientras se ejecuta `funcion` (o lo que llame) se lanza al
    acabar, también si falla. Para las que no entregan nada: devolver, cerrar."""

    @functools.wraps(funcion)
    def protegida(*argumentos: Any, **opciones: Any) -> Any:
        try:
            return funcion(*argumentos, **opciones)
        finally:
            if pendiente:
                entregar_pendiente()

    return cast(F, protegida)


def protegida_a_mano(funcion: F) -> F:
    """Como `protegida`, pero `funcion` lanza ella misma la señal anotada
    (`entregar_pendiente()`) donde aún puede soltar lo que tiene: para `prestar`, que no
    puede lanzarla tras entregar la conexión (quien la pidió no la recibiría)."""
    _PROTEGIDAS.add(funcion.__code__)
    return funcion


# Todas las envueltas por `protegida` comparten el código de su envoltorio.
_PROTEGIDAS.add(protegida(lambda: None).__code__)


def espera(funcion: F) -> F:
    """Marca `funcion` como una espera: una señal llega en el acto aunque la llame una
    función protegida, también la que llegó antes de empezar a esperar."""

    @functools.wraps(funcion)
    def espera(*argumentos: Any, **opciones: Any) -> Any:
        if pendiente:
            entregar_pendiente()
        return funcion(*argumentos, **opciones)

    return cast(F, espera)


_ESPERAS.add(espera(lambda: None).__code__)


def entregar_pendiente(causa: BaseException | None = None) -> None:
    """Si llegó una señal dentro de una función protegida, lanza ahora su excepción (en el
    hilo principal; en otro no hace nada). `causa` queda como su `__cause__`."""
    if not pendiente or threading.current_thread() is not threading.main_thread():
        return
    senal, manejador = pendiente.pop()
    if causa is None:
        manejador(senal, None)
        return
    try:
        manejador(senal, None)
    except BaseException as excepcion:
        raise excepcion from causa


def recibir(senal: int) -> None:
    """Como si `senal` llegara ahora al hilo principal: lanza su excepción, o la anota si
    está dentro de una función protegida."""
    manejador = signal.getsignal(senal)
    if callable(manejador):
        manejador(senal, sys._getframe(1))


def atender() -> bool:
    """Envuelve los manejadores de Python de SENALES. Solo el hilo principal puede
    cambiarlos: desde otro no hace nada y devuelve False."""
    if threading.current_thread() is not threading.main_thread():
        return False
    for senal in SENALES:
        actual = signal.getsignal(senal)
        # SIG_IGN o SIG_DFL no lanzan ninguna excepción: no hay nada que aplazar.
        if callable(actual) and not isinstance(actual, _Envoltorio):
            signal.signal(senal, _Envoltorio(actual))
    return True


def soltar() -> None:
    """Devuelve los manejadores que envolvió `atender` (si siguen puestos y se puede)."""
    if threading.current_thread() is not threading.main_thread():
        return
    for senal in SENALES:
        actual = signal.getsignal(senal)
        if isinstance(actual, _Envoltorio):
            signal.signal(senal, actual.original)


class _Envoltorio:
    """El manejador de una señal, que la aplaza si el hilo principal está dentro de una
    función protegida."""

    def __init__(self, original: Manejador):
        self.original = original

    def __call__(self, senal: int, marco: FrameType | None) -> Any:
        if _en_una_protegida(marco):
            if not pendiente:
                pendiente.append((senal, self.original))
            return None
        return self.original(senal, marco)


def _en_una_protegida(marco: FrameType | None) -> bool:
    """¿Está `marco` dentro de una función protegida, sin una espera por medio?"""
    while marco is not None:
        codigo = marco.f_code
        if codigo in _ESPERAS:
            return False
        if codigo in _PROTEGIDAS:
            return True
        marco = marco.f_back
    return False


def _tras_fork_en_el_hijo() -> None:
    # Lo anotado era del padre, y solo el padre debe recibirlo.
    pendiente.clear()


if hasattr(os, "register_at_fork"):  # pragma: no branch (solo Windows no tiene fork)
    os.register_at_fork(after_in_child=_tras_fork_en_el_hijo)
