"""Tests unitarios del hash de contraseñas con scrypt (sin base de datos)."""

import base64

import pytest

from acceso_datos import seguridad
from acceso_datos.seguridad import (
    costo_n,
    generar_hash,
    simular_verificacion,
    verificar_password,
)

PASSWORD = "Secreto-Muy-Visible-123"


@pytest.fixture(autouse=True)
def coste_bajo(monkeypatch):
    """Hashes baratos: se prueba el formato y la verificación, no el coste real."""
    monkeypatch.setenv("PASSWORD_SCRYPT_N", "1024")


def _partes(hash_guardado: str) -> list[str]:
    return hash_guardado.split("$")


def test_hash_lleva_prefijo_parametros_sal_y_hash():
    prefijo, n, r, p, sal, derivada = _partes(generar_hash(PASSWORD))

    assert (prefijo, n, r, p) == ("scrypt", "1024", "8", "1")
    assert len(base64.b64decode(sal, validate=True)) == 16
    assert len(base64.b64decode(derivada, validate=True)) == 32


def test_hash_cabe_en_la_columna_password():
    assert len(generar_hash("x" * 128)) <= 255


def test_hash_no_contiene_la_password_en_claro():
    hash_guardado = generar_hash(PASSWORD)

    assert PASSWORD not in hash_guardado
    assert base64.b64encode(PASSWORD.encode()).decode() not in hash_guardado


def test_dos_hashes_de_la_misma_password_son_distintos_y_ambos_verifican():
    primero, segundo = generar_hash(PASSWORD), generar_hash(PASSWORD)

    assert primero != segundo
    assert _partes(primero)[4] != _partes(segundo)[4]  # sal distinta
    assert verificar_password(PASSWORD, primero)
    assert verificar_password(PASSWORD, segundo)


@pytest.mark.parametrize("password", [PASSWORD, "x" * 8, "x" * 128, "contraseña😀", "名前のパス"])
def test_verificar_acepta_la_password_correcta(password):
    assert verificar_password(password, generar_hash(password)) is True


@pytest.mark.parametrize(
    "intento",
    [PASSWORD.lower(), PASSWORD + " ", " " + PASSWORD, PASSWORD[:-1], "", "' OR '1'='1"],
)
def test_verificar_rechaza_cualquier_otra_password(intento):
    assert verificar_password(intento, generar_hash(PASSWORD)) is False


def test_el_coste_n_se_configura_con_password_scrypt_n(monkeypatch):
    monkeypatch.setenv("PASSWORD_SCRYPT_N", "4096")

    assert costo_n() == 4096
    assert _partes(generar_hash(PASSWORD))[1] == "4096"


@pytest.mark.parametrize("texto", ["", "abc", "1000", "0", "1", "-1024", "2.5"])
def test_coste_n_invalido_usa_el_de_por_defecto(monkeypatch, texto):
    monkeypatch.setenv("PASSWORD_SCRYPT_N", texto)

    assert costo_n() == seguridad.N_POR_DEFECTO


def test_sin_password_scrypt_n_se_usa_el_coste_por_defecto(monkeypatch):
    monkeypatch.delenv("PASSWORD_SCRYPT_N")

    assert costo_n() == seguridad.N_POR_DEFECTO == 2**15


def test_hash_antiguo_sigue_valiendo_tras_subir_el_coste(monkeypatch, derivaciones):
    antiguo = generar_hash(PASSWORD)
    monkeypatch.setenv("PASSWORD_SCRYPT_N", "2048")
    derivaciones.clear()

    assert verificar_password(PASSWORD, antiguo)
    assert derivaciones == [1024]  # se verifica con los parámetros guardados
    assert _partes(generar_hash(PASSWORD))[1] == "2048"


def _con_parte(hash_guardado: str, indice: int, valor: str) -> str:
    partes = _partes(hash_guardado)
    partes[indice] = valor
    return "$".join(partes)


@pytest.mark.parametrize(
    "estropear",
    [
        pytest.param(lambda h: "", id="vacio"),
        pytest.param(lambda h: PASSWORD, id="texto_plano"),
        pytest.param(lambda h: _con_parte(h, 0, "bcrypt"), id="otro_prefijo"),
        pytest.param(lambda h: h.rsplit("$", 1)[0], id="falta_una_parte"),
        pytest.param(lambda h: h + "$extra", id="sobra_una_parte"),
        pytest.param(lambda h: _con_parte(h, 1, "mil"), id="n_no_numerico"),
        pytest.param(lambda h: _con_parte(h, 1, "1000"), id="n_no_potencia_de_2"),
        pytest.param(lambda h: _con_parte(h, 1, "2048"), id="n_cambiado"),
        pytest.param(lambda h: _con_parte(h, 4, "no es base64!"), id="sal_no_base64"),
        pytest.param(lambda h: _con_parte(h, 4, base64.b64encode(b"1" * 16).decode()), id="sal"),
        pytest.param(lambda h: _con_parte(h, 5, base64.b64encode(b"\0" * 32).decode()), id="hash"),
    ],
)
def test_hash_manipulado_o_malformado_no_verifica(estropear):
    assert verificar_password(PASSWORD, estropear(generar_hash(PASSWORD))) is False


def test_simular_verificacion_hace_una_derivacion_con_el_coste_actual(monkeypatch, derivaciones):
    monkeypatch.setenv("PASSWORD_SCRYPT_N", "2048")
    simular_verificacion(PASSWORD)  # la primera vez prepara además el hash de relleno
    derivaciones.clear()

    assert simular_verificacion(PASSWORD) is None
    assert derivaciones == [2048]
