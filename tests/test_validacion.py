"""Tests unitarios de los validadores compartidos (sin base de datos)."""

from decimal import Decimal

import pytest
from ayudas import problemas_de_idioma

from acceso_datos.errores import DatosInvalidosError
from acceso_datos.validacion import (
    MAX_SERIAL,
    validar_decimal,
    validar_email,
    validar_entero,
    validar_id,
    validar_texto,
)


@pytest.mark.parametrize("texto", ["Ana", "a", "ñandú😀", "O'Brien", "x" * 10, "名前"])
def test_texto_valido_se_devuelve_tal_cual(texto):
    assert validar_texto("nombre", texto, 10) == texto


@pytest.mark.parametrize(
    ("valor", "texto"),
    [
        pytest.param(None, "es obligatorio", id="none"),
        pytest.param(5, "debe ser texto", id="entero"),
        pytest.param(b"Ana", "debe ser texto", id="bytes"),
        pytest.param("", "no puede estar en blanco", id="vacio"),
        pytest.param(" \t ", "no puede estar en blanco", id="en_blanco"),
        pytest.param("x" * 11, "tiene 11 caracteres; el máximo es 10", id="largo"),
        pytest.param("Ana\x00", "caracteres de control", id="nul"),
        pytest.param("Ana\nBea", "caracteres de control", id="salto_de_linea"),
        pytest.param("Ana\udc80", "no son texto Unicode válido", id="sustituto_suelto"),
    ],
)
def test_texto_invalido_lanza_datos_invalidos_que_nombra_el_campo(valor, texto):
    with pytest.raises(DatosInvalidosError, match=f"^El campo nombre .*{texto}") as error:
        validar_texto("nombre", valor, 10)

    assert isinstance(error.value, ValueError)


@pytest.mark.parametrize(
    "email", ["ana@ejemplo.com", "a@b", "ana.perez+curso@sub.ejemplo.es", "ñandú@correo.es"]
)
def test_email_con_forma_nombre_arroba_dominio_vale(email):
    assert validar_email("email", email, 100) == email


@pytest.mark.parametrize(
    ("email", "texto"),
    [
        pytest.param("sin-arroba", "debe tener la forma nombre@dominio", id="sin_arroba"),
        pytest.param("@ejemplo.com", "debe tener la forma nombre@dominio", id="sin_nombre"),
        pytest.param("ana@", "debe tener la forma nombre@dominio", id="sin_dominio"),
        pytest.param("ana@b@c", "debe tener la forma nombre@dominio", id="dos_arrobas"),
        pytest.param("ana perez@b.es", "no puede contener espacios", id="espacio"),
        pytest.param(" ana@b.es", "no puede contener espacios", id="espacio_delante"),
        pytest.param("ana@b.es\u00a0", "no puede contener espacios", id="espacio_duro"),
        pytest.param("a" * 95 + "@b.es0", "tiene 101 caracteres; el máximo es 100", id="101"),
        pytest.param("", "no puede estar en blanco", id="vacio"),
        pytest.param(None, "es obligatorio", id="none"),
    ],
)
def test_email_invalido_lanza_datos_invalidos(email, texto):
    with pytest.raises(DatosInvalidosError, match=f"^El campo correo electrónico .*{texto}"):
        validar_email("email", email, 100)


def test_email_de_100_caracteres_vale():
    email = "a" * 94 + "@b.com"
    assert len(email) == 100
    assert validar_email("email", email, 100) == email


@pytest.mark.parametrize(
    ("valor", "texto"),
    [
        pytest.param(None, "es obligatorio", id="none"),
        pytest.param("1", "debe ser un número entero", id="texto"),
        pytest.param(1.0, "debe ser un número entero", id="float"),
        pytest.param(True, "debe ser un número entero", id="bool"),
        pytest.param(0, r"debe ser al menos 1 \(es 0\)", id="bajo"),
        pytest.param(11, "no puede pasar de 10", id="alto"),
    ],
)
def test_entero_invalido_lanza_datos_invalidos(valor, texto):
    with pytest.raises(DatosInvalidosError, match=f"^El campo limite {texto}"):
        validar_entero("limite", valor, minimo=1, maximo=10)


def test_entero_en_rango_se_devuelve():
    assert validar_entero("limite", 1, minimo=1, maximo=10) == 1
    assert validar_entero("limite", -(2**80)) == -(2**80)  # sin límites, cualquier int


@pytest.mark.parametrize(("valor", "esperado"), [(1, 1), (MAX_SERIAL, MAX_SERIAL)])
def test_id_posible_se_devuelve(valor, esperado):
    assert validar_id("id_persona", valor) == esperado


@pytest.mark.parametrize("valor", [0, -1, MAX_SERIAL + 1, 2**70])
def test_id_entero_que_ninguna_fila_puede_tener_da_none(valor):
    assert validar_id("id_persona", valor) is None


@pytest.mark.parametrize("valor", [None, "1", 1.0, True])
def test_id_que_no_es_entero_lanza_datos_invalidos(valor):
    with pytest.raises(DatosInvalidosError, match="^El campo id_persona "):
        validar_id("id_persona", valor)


@pytest.mark.parametrize(
    "valor", [Decimal("9.99"), Decimal("0"), Decimal("1.5000"), Decimal("99999999.99"), 7]
)
def test_importe_exacto_en_numeric_10_2_se_devuelve_como_decimal(valor):
    resultado = validar_decimal("precio", valor, 10, 2, minimo=Decimal(0))

    assert resultado == valor and isinstance(resultado, Decimal)


@pytest.mark.parametrize(
    ("valor", "texto"),
    [
        pytest.param(None, "es obligatorio", id="none"),
        pytest.param(9.99, "un float no guarda exactos los decimales", id="float"),
        pytest.param(
            "9.99", r"debe ser un Decimal \(p. ej. Decimal\('9.99'\)\) o un entero\.$", id="texto"
        ),
        pytest.param(True, "debe ser un Decimal", id="bool"),
        pytest.param(Decimal("NaN"), "debe ser un número finito", id="nan"),
        pytest.param(Decimal("Infinity"), "debe ser un número finito", id="infinito"),
        pytest.param(Decimal("1.999"), "admite como mucho 2 decimales", id="redondeo"),
        pytest.param(Decimal("100000000"), "debe ser menor que 100000000", id="desborde"),
        pytest.param(Decimal("-0.01"), r"debe ser al menos 0 \(es -0.01\)", id="negativo"),
    ],
)
def test_importe_que_postgresql_no_guardaria_exacto_lanza_datos_invalidos(valor, texto):
    with pytest.raises(DatosInvalidosError, match=f"^El campo precio .*{texto}"):
        validar_decimal("precio", valor, 10, 2, minimo=Decimal(0))


@pytest.mark.parametrize(
    ("valor", "minimo", "texto"),
    [
        pytest.param(Decimal("1.999"), None, "(es 1,999)", id="redondeo"),
        pytest.param(Decimal("-0.01"), Decimal(0), "(es -0,01)", id="negativo"),
        pytest.param(Decimal("0.25"), Decimal("0.50"), "al menos 0,50 (es 0,25)", id="minimo"),
        pytest.param(Decimal("1E+9"), None, "(es 1000000000)", id="exponente"),
    ],
)
def test_el_mensaje_de_un_importe_lo_escribe_con_coma_decimal_y_sin_exponente(valor, minimo, texto):
    # El mensaje acaba en pantalla (el menú lo muestra tal cual): en español, 1,999.
    with pytest.raises(DatosInvalidosError) as error:
        validar_decimal("precio", valor, 10, 2, minimo=minimo)

    assert texto in str(error.value)
    assert problemas_de_idioma(str(error.value)) == []
