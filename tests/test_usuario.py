"""Tests unitarios de `Usuario` y de sus reglas de validación (sin base de datos)."""

import unicodedata

import pytest
from entradas_hostiles import USERNAMES_HOSTILES

from acceso_datos.errores import DatosInvalidosError
from acceso_datos.usuario import Usuario, validar_password, validar_username

PASSWORD = "Secreto-Muy-Visible-123"

USERNAMES_VALIDOS = ["ana", "a", "Ana María", *USERNAMES_HOSTILES]

USERNAMES_INVALIDOS = [
    pytest.param(None, id="none"),
    pytest.param("", id="vacio"),
    pytest.param("   ", id="en_blanco"),
    pytest.param("\u3000", id="espacio_ideografico"),
    pytest.param("a" * 51, id="51_caracteres"),
    pytest.param("😀" * 51, id="51_emojis"),
    pytest.param("ana\x00", id="nul"),
    pytest.param("ana\nbea", id="salto_de_linea"),
    pytest.param("ana\tbea", id="tabulador"),
    pytest.param("ana\x7f", id="del"),
    pytest.param("ana\udc80", id="sustituto_suelto"),
    pytest.param(42, id="entero"),
    pytest.param(b"ana", id="bytes"),
]

PASSWORDS_INVALIDAS = [
    pytest.param(None, id="none"),
    pytest.param("", id="vacia"),
    pytest.param("x" * 7, id="7_caracteres"),
    pytest.param("x" * 129, id="129_caracteres"),
    pytest.param("secreto\udc80", id="sustituto_suelto"),
    pytest.param(12345678, id="entero"),
    pytest.param(b"secreto123", id="bytes"),
]


def test_argumentos_por_posicion_siguen_el_orden_del_curso():
    usuario = Usuario(7, "ana", PASSWORD)

    assert (usuario.id_usuario, usuario.username, usuario.password) == (7, "ana", PASSWORD)


def test_usuario_sin_argumentos_tiene_todo_a_none():
    usuario = Usuario()

    assert (usuario.id_usuario, usuario.username, usuario.password) == (None, None, None)


@pytest.mark.parametrize("mostrar", [str, repr, format], ids=["str", "repr", "format"])
def test_str_y_repr_nunca_muestran_la_password(mostrar):
    texto = mostrar(Usuario(id_usuario=3, username="ana", password=PASSWORD))

    assert PASSWORD not in texto
    assert "password" not in texto.lower()
    assert "ana" in texto and "3" in texto


def test_repr_de_un_usuario_nuevo_tambien_oculta_la_password():
    assert repr(Usuario(username="ana", password=PASSWORD)) == (
        "Usuario(id_usuario=None, username='ana')"
    )


def test_usuarios_con_mismo_id_y_username_son_iguales_sin_mirar_la_password():
    assert Usuario(1, "ana", "una-clave-1") == Usuario(1, "ana", "otra-clave-2")
    assert Usuario(1, "ana") != Usuario(2, "ana")
    assert Usuario(1, "ana") != Usuario(1, "Ana")
    assert Usuario(1, "ana") != (1, "ana")


def test_usuario_es_mutable_y_no_se_puede_usar_como_clave():
    with pytest.raises(TypeError):
        hash(Usuario(1, "ana"))


@pytest.mark.parametrize("username", USERNAMES_VALIDOS)
def test_username_valido_se_devuelve_tal_cual(username):
    assert validar_username(username) == username


def test_username_se_normaliza_a_nfc():
    # «José» con la «é» como «e» más la tilde combinada (NFD), como lo escriben algunos sistemas.
    assert validar_username("Jose\u0301") == "Jos\u00e9"


def test_el_maximo_de_username_cuenta_los_caracteres_ya_normalizados():
    descompuesto = unicodedata.normalize("NFD", "é" * 50)  # 100 puntos de código

    assert validar_username(descompuesto) == "é" * 50


@pytest.mark.parametrize("username", USERNAMES_INVALIDOS)
def test_username_invalido_lanza_datos_invalidos_que_nombra_el_campo(username):
    with pytest.raises(DatosInvalidosError, match="^El campo nombre de usuario ") as error:
        validar_username(username)

    assert isinstance(error.value, ValueError)


def test_username_demasiado_largo_dice_cuantos_caracteres_tiene_y_el_maximo():
    with pytest.raises(DatosInvalidosError) as error:
        validar_username("a" * 51)

    assert "51" in str(error.value) and "50" in str(error.value)


@pytest.mark.parametrize("password", ["x" * 8, "x" * 128, "contraseña😀", "' OR '1'='1"])
def test_password_valida_se_devuelve_tal_cual(password):
    assert validar_password(password) == password


@pytest.mark.parametrize("password", PASSWORDS_INVALIDAS)
def test_password_invalida_lanza_datos_invalidos_sin_mostrarla(password):
    with pytest.raises(DatosInvalidosError, match="^El campo contraseña ") as error:
        validar_password(password)

    assert isinstance(error.value, ValueError)
    if isinstance(password, str) and password:
        assert password not in str(error.value)


def test_password_de_longitud_incorrecta_dice_el_rango_permitido():
    with pytest.raises(DatosInvalidosError) as error:
        validar_password("x" * 7)

    assert "8" in str(error.value) and "128" in str(error.value)
