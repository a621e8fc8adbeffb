"""Tests de propiedades (hypothesis): lo que debe cumplirse para cualquier texto, no solo
para los ejemplos que se le ocurrieron a alguien.

Las reglas se escriben aquí otra vez, tal como las dice el README («Reglas de los datos»),
sin llamar a los validadores: si el código y el README dejan de coincidir, falla. Cada
ejemplo que toca la base vacía antes las tablas (ver `ejemplo_desde_tablas_vacias`).
"""

import unicodedata

import pytest
from ayudas import en_uso, vaciar_tablas
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from acceso_datos.configuracion import Configuracion, leer_configuracion
from acceso_datos.cursor_del_pool import CursorDelPool
from acceso_datos.errores import ConfiguracionError, DatosInvalidosError, RegistroDuplicadoError
from acceso_datos.usuario import Usuario, validar_password, validar_username
from acceso_datos.usuario_dao import UsuarioDAO
from acceso_datos.validacion import etiqueta

# Cualquier carácter, sustitutos sueltos ('\udc80') incluidos: un str de Python los admite.
CUALQUIER_CARACTER = st.characters()
# Caracteres que cambian al normalizar: letras con tilde, tildes sueltas que se combinan,
# ligaduras y formas de ancho completo (NFKC), el signo de ohmio (NFC lo cambia por omega).
QUE_SE_NORMALIZAN = st.sampled_from("eEaAnNoOuUé\u0301\u0303\u0308\u00e9\ufb01\uff11\u2126\u212b")
CONTROL = st.characters(categories=["Cc"])  # tabulador, salto de línea, NUL...
ESPACIOS = st.sampled_from(" \t\n\r\u00a0\u2003\u3000")


def textos(maximo: int) -> st.SearchStrategy[str]:
    """Texto cualquiera hasta `maximo` caracteres, con más de lo que suele romper cosas:
    combinaciones que se normalizan, caracteres de control y espacios."""
    caracter = st.one_of(CUALQUIER_CARACTER, QUE_SE_NORMALIZAN, CONTROL, ESPACIOS)
    return st.one_of(
        st.text(caracter, max_size=maximo),
        st.text(ESPACIOS, max_size=5),  # en blanco
        st.text(QUE_SE_NORMALIZAN, min_size=maximo - 8, max_size=maximo + 8),  # en el límite
    )


# Cómo empiezan los mensajes de error de cada campo (con su nombre en español).
CAMPO_USERNAME = f"^El campo {etiqueta('username')} "
CAMPO_PASSWORD = f"^El campo {etiqueta('password')} "

USERNAMES = textos(60)
PASSWORDS = textos(140)
# Sin control ni sustitutos: casi siempre válidos (los que no, los quita el filtro).
SIN_CONTROL = st.one_of(st.characters(exclude_categories=["Cc", "Cs"]), QUE_SE_NORMALIZAN)


def username_valido_segun_el_readme(texto: str) -> bool:
    """De 1 a 50 caracteres ya normalizado a NFC, no en blanco, sin caracteres de control
    y texto Unicode válido (sin sustitutos sueltos, que no se pueden guardar)."""
    nfc = unicodedata.normalize("NFC", texto)
    return (
        1 <= len(nfc) <= 50
        and not nfc.isspace()
        and not any(unicodedata.category(c) == "Cc" for c in nfc)
        and not any(0xD800 <= ord(c) <= 0xDFFF for c in nfc)
    )


def password_valida_segun_el_readme(texto: str) -> bool:
    """De 8 a 128 caracteres (tal como llega) y texto Unicode válido."""
    return 8 <= len(texto) <= 128 and not any(0xD800 <= ord(c) <= 0xDFFF for c in texto)


# --- Los validadores: aceptan exactamente lo que dice el README -------------------------


@settings(max_examples=400)
@given(USERNAMES)
def test_validar_username_acepta_exactamente_lo_que_dice_el_readme(texto):
    if username_valido_segun_el_readme(texto):
        assert validar_username(texto) == unicodedata.normalize("NFC", texto)
    else:
        with pytest.raises(DatosInvalidosError, match=CAMPO_USERNAME):
            validar_username(texto)


@settings(max_examples=400)
@given(PASSWORDS)
def test_validar_password_acepta_exactamente_lo_que_dice_el_readme(texto):
    if password_valida_segun_el_readme(texto):
        assert validar_password(texto) == texto
    else:
        with pytest.raises(DatosInvalidosError, match=CAMPO_PASSWORD) as error:
            validar_password(texto)
        if len(texto) >= 8:  # una más corta podría estar en el mensaje por casualidad («tie»)
            assert texto not in str(error.value)


@given(st.one_of(st.none(), st.integers(), st.binary(), st.floats(), st.lists(st.text())))
def test_lo_que_no_es_texto_no_es_username_ni_password(valor):
    with pytest.raises(DatosInvalidosError, match=CAMPO_USERNAME):
        validar_username(valor)
    with pytest.raises(DatosInvalidosError, match=CAMPO_PASSWORD):
        validar_password(valor)


# --- Por la base: cada ejemplo empieza con las tablas vacías ----------------------------

# `base_limpia` prepara el esquema y el pool una vez por test; hypothesis avisa de que
# una fixture de función no se repite en cada ejemplo (function_scoped_fixture). Aquí no
# hace falta: cada ejemplo vacía él mismo las tablas al empezar (vaciar_tablas) y
# comprueba al acabar que no dejó conexiones prestadas.
ejemplo_desde_tablas_vacias = settings(
    max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def filas_de_usuario() -> list[tuple[int, str, str]]:
    """La tabla entera, hash incluido, para comparar antes y después."""
    with CursorDelPool() as cursor:
        cursor.execute("SELECT id_usuario, username, password FROM usuario ORDER BY id_usuario")
        return cursor.fetchall()


@pytest.mark.usefixtures("base_limpia")
@ejemplo_desde_tablas_vacias
@given(
    st.one_of(
        st.text(SIN_CONTROL, min_size=1, max_size=50),
        st.text(QUE_SE_NORMALIZAN, min_size=45, max_size=60),  # más de 50 hasta normalizar
    ).filter(username_valido_segun_el_readme),
    st.text(SIN_CONTROL, min_size=8, max_size=128),
)
def test_un_username_valido_va_y_vuelve_de_la_base_exacto_tras_normalizar(username, password):
    vaciar_tablas()
    nfc = unicodedata.normalize("NFC", username)
    nfd = unicodedata.normalize("NFD", username)
    usuario = Usuario(username=username, password=password)

    UsuarioDAO.insertar(usuario)

    guardado = Usuario(usuario.id_usuario, nfc)
    assert usuario == guardado
    assert filas_de_usuario()[0][:2] == (usuario.id_usuario, nfc)
    # Escrito en cualquier forma (la recibida, NFC o NFD), es el mismo usuario...
    for forma in (username, nfc, nfd):
        assert UsuarioDAO.buscar_por_username(forma) == guardado
        assert UsuarioDAO.autenticar(forma, password) == guardado
    # ...y UNIQUE ve repetida cualquier otra forma.
    with pytest.raises(RegistroDuplicadoError):
        UsuarioDAO.insertar(Usuario(username=nfd, password=password))
    assert UsuarioDAO.contar() == 1
    assert en_uso() == 0


def username_valido(valor: object) -> bool:
    return isinstance(valor, str) and username_valido_segun_el_readme(valor)


def password_valida(valor: object) -> bool:
    return isinstance(valor, str) and password_valida_segun_el_readme(valor)


def entrada_mala() -> st.SearchStrategy[tuple[object, object]]:
    """Un par (username, password) en el que al menos uno no cumple las reglas."""
    cualquiera = st.one_of(USERNAMES, PASSWORDS, st.none(), st.integers(), st.binary())
    return st.tuples(cualquiera, cualquiera).filter(
        lambda par: not (username_valido(par[0]) and password_valida(par[1]))
    )


@pytest.mark.usefixtures("base_limpia")
@ejemplo_desde_tablas_vacias
@given(entrada_mala())
def test_una_entrada_no_valida_no_cambia_la_tabla(par):
    username, password = par
    vaciar_tablas()
    for nombre in ("ana", "luis"):
        UsuarioDAO.insertar(Usuario(username=nombre, password="contraseña-de-ana"))
    antes = filas_de_usuario()

    with pytest.raises(DatosInvalidosError):
        UsuarioDAO.insertar(Usuario(username=username, password=password))
    # Al actualizar, password None es válido: conserva la que había.
    if password is not None or not username_valido(username):
        with pytest.raises(DatosInvalidosError):
            UsuarioDAO.actualizar(Usuario(1, username, password))

    assert filas_de_usuario() == antes
    assert en_uso() == 0


# --- La configuración: ningún error repite la contraseña --------------------------------

VARIABLES = (
    "DB_HOST", "DB_PORT", "DB_NAME", "DB_USER", "DB_POOL_MIN", "DB_POOL_MAX",
    "DB_POOL_TIMEOUT", "DB_POOL_MAX_IDLE", "DB_POOL_LEAK_WARN", "DB_POOL_RESET",
    "DB_CONNECT_TIMEOUT", "DB_QUERY_TIMEOUT", "DB_APPLICATION_NAME", "DB_EMBEDDED_DIR",
    "LOG_LEVEL", "LOG_FILE", "PASSWORD_SCRYPT_N", "PASSWORD_SCRYPT_P",
)  # fmt: skip
# Valores que a veces sirven y a veces no: números, listas, rangos, texto cualquiera.
VALORES = st.one_of(
    st.integers(-5, 70000).map(str),
    st.sampled_from(["", " ", "1,2", "a,,b", "1e10", "nan", "inf", "-1", "0", "debug", "~"]),
    st.text(max_size=20),
)
# Una contraseña larga y con una marca: no puede salir por casualidad en un mensaje.
CONTRASENAS = st.text(min_size=4, max_size=30).map(lambda texto: f"Clave·{texto}·7f3a")


@st.composite
def entornos_con_contrasena(draw: st.DrawFn) -> tuple[dict[str, str], str]:
    """Un entorno con valores cualquiera y una contraseña en DB_PASSWORD, en DATABASE_URL
    (bien o mal formada) o en las dos."""
    secreto = draw(CONTRASENAS)
    otras = draw(st.dictionaries(st.sampled_from(VARIABLES), VALORES, max_size=6))
    assume(not any(secreto in valor for valor in otras.values()))
    entorno = dict(otras)
    if draw(st.booleans()):
        entorno["DB_PASSWORD"] = secreto
    if draw(st.booleans()) or "DB_PASSWORD" not in entorno:
        antes, despues = draw(st.text(max_size=15)), draw(st.text(max_size=15))
        assume(secreto not in antes + despues)
        esquema = draw(st.sampled_from(["postgresql://", "postgres://", "mysql://", ""]))
        entorno["DATABASE_URL"] = draw(
            st.sampled_from(
                [
                    f"{esquema}alumno:{secreto}@{antes}/{despues}",
                    f"{esquema}alumno:{secreto}@servidor:{antes}/base",
                    f"{esquema}alumno:{antes}{secreto}{despues}@servidor/base",
                    f"alumno:{secreto}@{antes}",  # sin esquema
                ]
            )
        )
    return entorno, secreto


@settings(max_examples=300)
@given(entornos_con_contrasena())
def test_ningun_error_de_configuracion_repite_la_contrasena(entorno_y_secreto):
    entorno, secreto = entorno_y_secreto
    try:
        configuracion = leer_configuracion(entorno)
    except ConfiguracionError as error:
        assert secreto not in str(error)
        assert secreto not in repr(error)
    else:
        assert isinstance(configuracion, Configuracion)
        # Una URL mal escrita puede dejar el «secreto» en otro campo (la base, el servidor),
        # y entonces ya no es la contraseña: se comprueba cuando se entendió como tal.
        if configuracion.password == secreto:
            assert secreto not in repr(configuracion)
