"""La consola explica cada error de las capas de abajo en español, sin traza, y el menú
sigue (`consola.atender`): uno por clase de error, en este proceso."""

import logging

import pytest

from acceso_datos.consola import atender
from acceso_datos.errores import (
    ConexionError,
    DatosInvalidosError,
    MigracionError,
    PoolAgotadoError,
    RegistroDuplicadoError,
    ResultadoDesconocidoError,
)


def que_lanza(error: BaseException):
    def accion() -> None:
        raise error

    return accion


# Cada error y lo que el menú escribe al recibirlo.
EXPLICACIONES = [
    (DatosInvalidosError("El campo x falta."), "Dato no válido: El campo x falta.\n"),
    (RegistroDuplicadoError("Ya existe ana."), "No se guardó: Ya existe ana.\n"),
    (
        PoolAgotadoError("Nadie devolvió una en 30 s."),
        "Todas las conexiones están ocupadas: Nadie devolvió una en 30 s.\n",
    ),
    (
        ResultadoDesconocidoError("Se cortó en el COMMIT."),
        "Resultado desconocido: Se cortó en el COMMIT.\n",
    ),
    (
        ConexionError("El servidor no responde."),
        "Sin conexión con la base de datos: El servidor no responde.\n"
        "El menú sigue abierto: cuando el servidor vuelva, repita la opción.\n",
    ),
    (MigracionError("La 003 falló."), "Error: La 003 falló.\n"),
]


@pytest.mark.parametrize(
    ("error", "explicacion"),
    [pytest.param(*caso, id=type(caso[0]).__name__) for caso in EXPLICACIONES],
)
def test_cada_error_propio_se_explica_en_una_linea_y_el_menu_sigue(capsys, error, explicacion):
    atender(que_lanza(error))

    assert capsys.readouterr().out == explicacion


def test_un_error_inesperado_no_muestra_traza_y_la_deja_en_el_log(capsys, caplog):
    with caplog.at_level(logging.ERROR, logger="acceso_datos"):
        atender(que_lanza(ZeroDivisionError("división por cero")))

    salida = capsys.readouterr()
    assert salida.out == (
        "Error inesperado: no se guardó nada a medias. Los detalles están en el log.\n"
    )
    assert salida.err == ""
    assert "ZeroDivisionError: división por cero" in caplog.text  # la traza, solo en el log


@pytest.mark.parametrize("salida", [EOFError(), KeyboardInterrupt()], ids=["eof", "ctrl_c"])
def test_fin_de_entrada_y_ctrl_c_no_se_tragan_llegan_al_bucle_del_menu(salida):
    with pytest.raises(type(salida)):
        atender(que_lanza(salida))
