"""La entidad `Usuario` y las reglas que deben cumplir sus datos."""

import unicodedata

from acceso_datos.errores import DatosInvalidosError

MAX_USERNAME = 50
MIN_PASSWORD = 8
MAX_PASSWORD = 128


class Usuario:
    """Un usuario de la tabla `usuario`.

    `password` lleva la contraseña en texto plano solo de entrada (al crear el usuario o
    cambiarla); los usuarios leídos de la base la tienen a None: allí solo hay un hash.
    """

    def __init__(
        self,
        id_usuario: int | None = None,
        username: str | None = None,
        password: str | None = None,
    ):
        self.id_usuario = id_usuario
        self.username = username
        self.password = password

    def __str__(self) -> str:
        return f"Usuario {self.id_usuario}: {self.username}"

    def __repr__(self) -> str:
        # La contraseña no se muestra nunca: un repr acaba en logs y trazas.
        return f"Usuario(id_usuario={self.id_usuario!r}, username={self.username!r})"

    def __eq__(self, otro: object) -> bool:
        if not isinstance(otro, Usuario):
            return NotImplemented
        return (self.id_usuario, self.username) == (otro.id_usuario, otro.username)

    __hash__ = None  # mutable: no se usa como clave


def validar_username(username: object) -> str:
    """Devuelve el username normalizado a NFC si es válido; si no, lanza DatosInvalidosError.

    Con NFC, «José» escrito con «é» o con «e» más la tilde combinada es el mismo username:
    se guarda y se busca igual, y la restricción UNIQUE ve que se repite.
    """
    if username is None:
        raise DatosInvalidosError("El campo username es obligatorio.")
    if not isinstance(username, str):
        raise DatosInvalidosError("El campo username debe ser texto.")
    username = unicodedata.normalize("NFC", username)
    if not username.strip():
        raise DatosInvalidosError("El campo username no puede estar en blanco.")
    if len(username) > MAX_USERNAME:
        raise DatosInvalidosError(
            f"El campo username tiene {len(username)} caracteres; el máximo es {MAX_USERNAME}."
        )
    _exigir_utf8("username", username)
    # Categoría Unicode "Cc": caracteres de control, NUL incluido (PostgreSQL lo rechaza).
    if any(unicodedata.category(c) == "Cc" for c in username):
        raise DatosInvalidosError(
            "El campo username no puede contener caracteres de control (tabuladores, "
            "saltos de línea, NUL...)."
        )
    return username


def validar_password(password: object) -> str:
    """Devuelve la contraseña si es válida; si no, lanza DatosInvalidosError (sin mostrarla)."""
    if password is None:
        raise DatosInvalidosError("El campo password es obligatorio.")
    if not isinstance(password, str):
        raise DatosInvalidosError("El campo password debe ser texto.")
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise DatosInvalidosError(
            f"El campo password debe tener entre {MIN_PASSWORD} y {MAX_PASSWORD} "
            f"caracteres (tiene {len(password)})."
        )
    _exigir_utf8("password", password)
    return password


def _exigir_utf8(campo: str, texto: str) -> None:
    # Un str de Python puede llevar sustitutos sueltos (p. ej. '\udc80') que no son UTF-8.
    try:
        texto.encode("utf-8")
    except UnicodeEncodeError:
        raise DatosInvalidosError(
            f"El campo {campo} contiene caracteres que no son texto Unicode válido."
        ) from None
