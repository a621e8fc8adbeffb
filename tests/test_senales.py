"""`ejecutar_atendiendo_senales`, en este proceso: la terminal cerrada, nohup y los errores
que no son de la terminal. Las señales de verdad a un menú en marcha, en test_fin_de_sesion."""

import errno
import os
import signal
import sys
import tempfile

import pytest

from acceso_datos.senales import (
    SALIDA_TERMINAL_CERRADA,
    SENALES_DE_CIERRE,
    ejecutar_atendiendo_senales,
)


@pytest.fixture(autouse=True)
def senales_restauradas():
    """Al acabar, SIGHUP y SIGTERM vuelven a como estaban (la función las deja ignoradas)."""
    guardadas = {senal: signal.getsignal(senal) for senal in SENALES_DE_CIERRE}
    yield
    for senal, manejador in guardadas.items():
        signal.signal(senal, manejador)


def test_sigterm_interrumpe_el_programa_y_sale_con_128_mas_la_senal():
    def programa() -> int:
        signal.raise_signal(signal.SIGTERM)
        return 0

    assert ejecutar_atendiendo_senales(programa) == 128 + signal.SIGTERM


def test_quien_arranca_con_sighup_ignorado_nohup_sigue_sin_cortarse():
    signal.signal(signal.SIGHUP, signal.SIG_IGN)

    def programa() -> int:
        signal.raise_signal(signal.SIGHUP)
        return 0

    assert ejecutar_atendiendo_senales(programa) == 0


class SalidaDeTerminalCerrada:
    """Una salida cuyo flush falla con EIO, como la de una terminal que ya se cerró."""

    def __init__(self, descriptor: int):
        self._descriptor = descriptor

    def flush(self) -> None:
        raise OSError(errno.EIO, "Input/output error")

    def fileno(self) -> int:
        return self._descriptor


def test_la_terminal_cerrada_termina_como_sighup_y_la_salida_va_a_dev_null(monkeypatch):
    def programa() -> int:
        raise OSError(errno.EIO, "Input/output error")

    with tempfile.TemporaryFile() as archivo:
        monkeypatch.setattr(sys, "stdout", SalidaDeTerminalCerrada(archivo.fileno()))

        estado = ejecutar_atendiendo_senales(programa)

        # Lo que quedara por escribir ya no puede fallar al salir (Python saldría con 120).
        destino, nulo = os.fstat(archivo.fileno()), os.stat(os.devnull)
    assert estado == SALIDA_TERMINAL_CERRADA
    assert (destino.st_dev, destino.st_ino) == (nulo.st_dev, nulo.st_ino)


def test_otro_error_del_sistema_no_se_confunde_con_la_terminal_cerrada():
    def programa() -> int:
        raise PermissionError(errno.EACCES, "Permission denied")

    with pytest.raises(PermissionError):
        ejecutar_atendiendo_senales(programa)
