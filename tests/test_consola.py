"""La consola explica cada error de las capas de abajo en español, sin traza, y el menú
sigue (`consola.atender`): uno por clase de error, en este proceso. Y lee números: enteros
que no son ids y decimales exactos, con coma o con punto."""

import logging
from decimal import Decimal

import pytest
from ayudas import problemas_de_idioma

from acceso_datos.consola import atender, leer_decimal, leer_entero, repetir_menu
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


# --- leer números -----------------------------------------------------------------------


@pytest.fixture
def responder(monkeypatch):
    """Hace que el siguiente input() lea `texto`, como si se escribiera en el teclado."""

    def escribir(texto: str) -> None:
        monkeypatch.setattr("builtins.input", lambda pregunta: texto)

    return escribir


@pytest.mark.parametrize(
    ("texto", "esperado"),
    [("12", 12), ("0", 0), (" -3 ", -3), ("+7", 7), ("0042", 42)],
)
def test_leer_entero_devuelve_el_numero_escrito(responder, texto, esperado):
    responder(texto)

    assert leer_entero("Existencias: ", "stock") == esperado


@pytest.mark.parametrize("texto", ["", "doce", "1,5", "1.0", "1e3", "²", "١٢", "1 000", "9" * 41])
def test_leer_entero_rechaza_lo_que_no_es_un_entero_nombrando_el_campo(responder, texto):
    responder(texto)

    with pytest.raises(DatosInvalidosError) as error:
        leer_entero("Existencias: ", "stock")

    assert str(error.value).startswith("El campo stock debe ser un número entero, como 12 ")
    assert problemas_de_idioma(str(error.value).split("(escribió")[0]) == []


@pytest.mark.parametrize(
    ("texto", "esperado"),
    [
        ("9,99", Decimal("9.99")),
        ("9.99", Decimal("9.99")),
        (" 10 ", Decimal("10")),
        ("-0,5", Decimal("-0.5")),
        ("0,10", Decimal("0.10")),
    ],
)
def test_leer_decimal_acepta_coma_o_punto_y_da_un_decimal_exacto(responder, texto, esperado):
    responder(texto)

    leido = leer_decimal("Precio: ", "precio")

    assert leido == esperado and isinstance(leido, Decimal)
    assert str(leido) == str(esperado)  # exacto: sin pasar por un float


@pytest.mark.parametrize(
    "texto", ["", "gratis", "9,9,9", "1.234,56", "NaN", "Infinity", "1e3", ",5", "5,", "9" * 41]
)
def test_leer_decimal_rechaza_lo_que_no_es_un_numero_nombrando_el_campo(responder, texto):
    responder(texto)

    with pytest.raises(DatosInvalidosError) as error:
        leer_decimal("Precio: ", "precio")

    assert str(error.value).startswith("El campo precio debe ser un número, como 9,99 ")


def test_un_numero_que_no_vale_se_explica_y_el_menu_sigue(responder, capsys):
    responder("doce")

    atender(lambda: leer_entero("Existencias: ", "stock"))

    assert capsys.readouterr().out == (
        "Dato no válido: El campo stock debe ser un número entero, como 12 (escribió 'doce').\n"
    )


def test_una_opcion_que_no_existe_dice_cuantas_hay(monkeypatch, capsys):
    respuestas = iter(["3", "0"])
    monkeypatch.setattr("builtins.input", lambda pregunta: next(respuestas))

    repetir_menu("--- Menú ---", {"1": lambda: None, "2": lambda: None})

    assert "Opción no válida: '3'. Escriba un número del 0 al 2." in capsys.readouterr().out
