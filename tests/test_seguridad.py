"""Tests unitarios del hash de contraseñas con scrypt (sin base de datos)."""

import base64
import logging
import time
import unicodedata

import pytest

from acceso_datos import configuracion, seguridad
from acceso_datos.errores import ConfiguracionError, DatosInvalidosError
from acceso_datos.seguridad import generar_hash, simular_verificacion, verificar_password

PASSWORD = "Secreto-Muy-Visible-123"
# «José» con la «é» de una pieza (NFC, lo habitual) y como «e» + tilde combinada (NFD).
JOSE_NFC = "José-clave-1"
JOSE_NFD = unicodedata.normalize("NFD", JOSE_NFC)

# Las filas de scrypt de la OWASP Password Storage Cheat Sheet, todas de la misma fuerza.
FILAS_OWASP = [(2**17, 8, 1), (2**16, 8, 2), (2**15, 8, 3), (2**14, 8, 5), (2**13, 8, 10)]


@pytest.fixture(autouse=True)
def coste_bajo(monkeypatch):
    """Hashes baratos: se prueba el formato y la verificación, no el coste real."""
    monkeypatch.setenv("PASSWORD_SCRYPT_N", "1024")
    monkeypatch.setenv("PASSWORD_SCRYPT_P", "1")


def _partes(hash_guardado: str) -> list[str]:
    return hash_guardado.split("$")


def test_hash_lleva_prefijo_parametros_sal_y_hash():
    prefijo, n, r, p, sal, derivada = _partes(generar_hash(PASSWORD))

    assert (prefijo, n, r, p) == ("scrypt-nfkc", "1024", "8", "1")
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


def test_el_coste_se_configura_con_password_scrypt_n_y_p(monkeypatch):
    monkeypatch.setenv("PASSWORD_SCRYPT_N", "4096")
    monkeypatch.setenv("PASSWORD_SCRYPT_P", "2")

    assert seguridad.coste_actual() == configuracion.CosteScrypt(n=4096, r=8, p=2)
    assert _partes(generar_hash(PASSWORD))[1:4] == ["4096", "8", "2"]


@pytest.mark.parametrize(
    ("variable", "texto"),
    [
        ("PASSWORD_SCRYPT_N", "abc"),
        ("PASSWORD_SCRYPT_N", "1000"),
        ("PASSWORD_SCRYPT_N", "3"),
        ("PASSWORD_SCRYPT_N", "0"),
        ("PASSWORD_SCRYPT_N", "1"),
        ("PASSWORD_SCRYPT_N", "-1024"),
        ("PASSWORD_SCRYPT_N", "2.5"),
        ("PASSWORD_SCRYPT_N", str(2**30)),
        ("PASSWORD_SCRYPT_P", "0"),
        ("PASSWORD_SCRYPT_P", "tres"),
        ("PASSWORD_SCRYPT_P", "1000000"),
    ],
)
def test_coste_no_valido_da_configuracion_error_que_nombra_la_variable(
    monkeypatch, variable, texto
):
    monkeypatch.setenv(variable, texto)

    with pytest.raises(ConfiguracionError, match=f"^{variable}="):
        generar_hash(PASSWORD)


def test_generar_hash_con_un_coste_fuera_de_los_limites_lo_rechaza_sin_calcularlo(derivaciones):
    with pytest.raises(DatosInvalidosError, match="fuera de los límites"):
        generar_hash(PASSWORD, configuracion.CosteScrypt(n=2**19))

    assert derivaciones == []


def test_coste_vacio_cuenta_como_no_definido(monkeypatch):
    monkeypatch.setenv("PASSWORD_SCRYPT_N", "")
    monkeypatch.setenv("PASSWORD_SCRYPT_P", "")

    assert seguridad.coste_actual() == configuracion.CosteScrypt()


def test_password_scrypt_n_del_archivo_env_llega_a_los_hashes(monkeypatch, tmp_path):
    archivo = tmp_path / ".env"
    archivo.write_text("PASSWORD_SCRYPT_N=2048\nPASSWORD_SCRYPT_P=2\n", encoding="utf-8")
    monkeypatch.setattr(configuracion, "ARCHIVO_ENV", archivo)
    monkeypatch.delenv("PASSWORD_SCRYPT_N")
    monkeypatch.delenv("PASSWORD_SCRYPT_P")

    assert _partes(generar_hash(PASSWORD))[1:4] == ["2048", "8", "2"]


def test_el_coste_por_defecto_cumple_una_fila_de_owasp_y_verifica(monkeypatch):
    # El único test con el coste real: una derivación de 32 MiB (unas décimas de segundo).
    monkeypatch.delenv("PASSWORD_SCRYPT_N")
    monkeypatch.delenv("PASSWORD_SCRYPT_P")

    hash_guardado = generar_hash(PASSWORD)

    n, r, p = (int(parte) for parte in _partes(hash_guardado)[1:4])
    assert (n, r, p) == (2**15, 8, 3)
    assert any(
        n >= fila_n and r >= fila_r and p >= fila_p for fila_n, fila_r, fila_p in FILAS_OWASP
    )
    assert verificar_password(PASSWORD, hash_guardado)
    assert not verificar_password(PASSWORD + "x", hash_guardado)


def test_hash_antiguo_sigue_valiendo_tras_subir_el_coste(monkeypatch, derivaciones):
    antiguo = generar_hash(PASSWORD)
    monkeypatch.setenv("PASSWORD_SCRYPT_N", "2048")
    derivaciones.clear()

    assert verificar_password(PASSWORD, antiguo)
    assert derivaciones == [(1024, 8, 1)]  # se verifica con los parámetros guardados
    assert _partes(generar_hash(PASSWORD))[1] == "2048"


@pytest.mark.parametrize(
    ("guardado", "actual", "rehacer"),
    [
        pytest.param((1024, 1), (1024, 1), False, id="mismo_coste"),
        pytest.param((1024, 1), (2048, 1), True, id="n_mayor"),
        pytest.param((1024, 1), (1024, 2), True, id="p_mayor"),
        pytest.param((1024, 1), (512, 1), False, id="n_menor_no_rebaja"),
        # Como 2^17/8/1 frente a 2^15/8/3 de OWASP: más trabajo y más memoria ya guardados.
        pytest.param((4096, 1), (1024, 3), False, id="mas_fuerte_en_otra_fila"),
        # Más trabajo que el actual, pero la cuarta parte de memoria: se rehace.
        pytest.param((256, 16), (1024, 3), True, id="menos_memoria"),
    ],
)
def test_necesita_rehash_si_el_coste_actual_supera_al_guardado(
    monkeypatch, guardado, actual, rehacer
):
    n, p = guardado
    hash_guardado = generar_hash(PASSWORD, configuracion.CosteScrypt(n=n, p=p))
    monkeypatch.setenv("PASSWORD_SCRYPT_N", str(actual[0]))
    monkeypatch.setenv("PASSWORD_SCRYPT_P", str(actual[1]))

    assert seguridad.necesita_rehash(hash_guardado) is rehacer


def test_password_nfd_verifica_contra_el_hash_de_la_nfc_y_al_reves():
    assert JOSE_NFC != JOSE_NFD

    assert verificar_password(JOSE_NFD, generar_hash(JOSE_NFC))
    assert verificar_password(JOSE_NFC, generar_hash(JOSE_NFD))


def test_la_password_se_normaliza_con_nfkc():
    # NFKC además iguala las formas de compatibilidad: dígitos de ancho completo, ligaduras.
    assert verificar_password("ﬁesta-１２３", generar_hash("fiesta-123"))


@pytest.mark.parametrize(
    ("creada", "escrita"),
    [(JOSE_NFC, JOSE_NFC), (JOSE_NFC, JOSE_NFD), (JOSE_NFD, JOSE_NFD)],
    ids=["nfc_y_nfc", "nfc_y_luego_nfd", "nfd_y_nfd"],
)
def test_hash_de_antes_de_normalizar_verifica_y_pide_rehash(hash_antiguo, creada, escrita):
    antiguo = hash_antiguo(creada)

    assert verificar_password(escrita, antiguo)
    assert not verificar_password("Otra-Clave-1", antiguo)
    assert seguridad.necesita_rehash(antiguo)


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


@pytest.mark.parametrize(
    "parametros",
    [
        pytest.param(("1073741824", "8", "1"), id="n_2_a_la_30"),
        pytest.param(("524288", "8", "1"), id="n_512_mib"),
        pytest.param(("16384", "1048576", "1"), id="r_enorme"),
        pytest.param(("16384", "8", "1000000"), id="p_enorme"),
        pytest.param(("1000", "8", "1"), id="n_no_potencia_de_2"),
        pytest.param(("1", "8", "1"), id="n_1"),
        pytest.param(("1024", "0", "1"), id="r_0"),
        pytest.param(("1024", "8", "-1"), id="p_negativo"),
    ],
)
@pytest.mark.parametrize("prefijo", ["scrypt-nfkc", "scrypt"])
def test_hash_con_coste_fuera_de_limites_se_rechaza_rapido_con_aviso(
    derivaciones, caplog, prefijo, parametros
):
    caplog.set_level(logging.WARNING, logger="acceso_datos")
    sal, derivada = _partes(generar_hash(PASSWORD))[4:]
    desmedido = "$".join((prefijo, *parametros, sal, derivada))
    derivaciones.clear()

    inicio = time.monotonic()
    assert verificar_password(PASSWORD, desmedido) is False
    assert time.monotonic() - inicio < 1  # cota de cuelgue: la derivación no llega a hacerse

    # Solo la de relleno, con el coste actual: un fallo más, como una contraseña errónea.
    assert derivaciones == [(1024, 8, 1)]
    avisos = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(f"N={int(parametros[0])}, r={int(parametros[1])}" in aviso for aviso in avisos)
    assert not any(PASSWORD in aviso or sal in aviso for aviso in avisos)


def test_hash_ilegible_se_rechaza_con_un_aviso_que_no_lo_repite(caplog):
    caplog.set_level(logging.WARNING, logger="acceso_datos")

    assert verificar_password(PASSWORD, PASSWORD) is False  # alguien guardó el texto plano

    assert "no tiene la forma" in caplog.text
    assert PASSWORD not in caplog.text


def test_simular_verificacion_hace_una_derivacion_con_el_coste_actual(monkeypatch, derivaciones):
    monkeypatch.setenv("PASSWORD_SCRYPT_N", "2048")
    monkeypatch.setenv("PASSWORD_SCRYPT_P", "2")
    simular_verificacion(PASSWORD)  # la primera vez prepara además el hash de relleno
    derivaciones.clear()

    assert simular_verificacion(PASSWORD) is None
    assert derivaciones == [(2048, 8, 2)]


def test_una_password_con_un_sustituto_suelto_no_verifica_y_no_lanza():
    # No se puede codificar en UTF-8: no es una contraseña que nadie haya podido guardar.
    assert verificar_password(PASSWORD + "\udc80", generar_hash(PASSWORD)) is False


def test_un_hash_ilegible_no_pide_rehash_porque_nunca_llega_a_verificarse():
    assert seguridad.necesita_rehash("texto-que-no-es-un-hash") is False
