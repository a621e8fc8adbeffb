"""La entidad `Usuario` y las reglas que deben cumplir sus datos."""

import unicodedata

from acceso_datos.errores import DatosInvalidosError
from acceso_datos.validacion import etiqueta, exigir_utf8, validar_texto

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
        # La contraseña no se muestra nunca: un repr acaba en logs y trazas. `!r` escribe
        # cada valor como en el código: 'bea' con comillas, None sin ellas.
        return f"Usuario(id_usuario={self.id_usuario!r}, username={self.username!r})"

    def __eq__(self, otro: object) -> bool:
        # Iguales si tienen el mismo id y username. NotImplemented (no NotImplementedError)
        # le dice a Python que la comparación con otra clase la decida la otra.
        if not isinstance(otro, Usuario):
            return NotImplemented
        return (self.id_usuario, self.username) == (otro.id_usuario, otro.username)

    # Con __eq__ y sin __hash__, Python no deja usar un Usuario como clave de un dict (este
    # «hash» es el de Python, no el de la contraseña): una clave no debe cambiar, y el id o
    # el username de un Usuario sí pueden cambiar.


def validar_username(username: object) -> str:
    """Devuelve el username normalizado (NFC) si es válido; si no, lanza DatosInvalidosError.

    Normalizado, «José» escrito con «é» o con «e» más la tilde combinada es el mismo username:
    se guarda y se busca igual, y la restricción UNIQUE ve que se repite.
    """
    if isinstance(username, str):
        username = unicodedata.normalize("NFC", username)
    return validar_texto("username", username, MAX_USERNAME)


def validar_password(password: object) -> str:
    """Devuelve la contraseña si es válida; si no, lanza DatosInvalidosError (sin mostrarla)."""
    campo = etiqueta("password")
    if password is None:
        raise DatosInvalidosError(f"El campo {campo} es obligatorio.")
    if not isinstance(password, str):
        raise DatosInvalidosError(f"El campo {campo} debe ser texto.")
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise DatosInvalidosError(
            f"El campo {campo} debe tener entre {MIN_PASSWORD} y {MAX_PASSWORD} "
            f"caracteres (tiene {len(password)})."
        )
    exigir_utf8("password", password)  # un str puede traer caracteres sueltos sin UTF-8
    return password
