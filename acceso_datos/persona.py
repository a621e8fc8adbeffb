"""La entidad `Persona` y las reglas que deben cumplir sus datos."""

from dataclasses import dataclass

from acceso_datos.validacion import validar_email, validar_texto

MAX_NOMBRE = 50
MAX_APELLIDO = 50
MAX_EMAIL = 100


@dataclass
class Persona:
    """Una persona de la tabla `persona`; `id_persona` lo pone la base al insertarla."""

    id_persona: int | None = None
    nombre: str | None = None
    apellido: str | None = None
    email: str | None = None

    def __str__(self) -> str:
        return f"Persona {self.id_persona}: {self.nombre} {self.apellido} <{self.email}>"


def validar_persona(persona: Persona) -> tuple[str, str, str]:
    """Nombre, apellido y e-mail listos para guardar; si alguno no vale, DatosInvalidosError."""
    return (
        validar_nombre(persona.nombre),
        validar_apellido(persona.apellido),
        validar_correo(persona.email),
    )


# Una por campo: el menú valida cada respuesta al escribirla, antes de la siguiente pregunta.
def validar_nombre(nombre: object) -> str:
    """El nombre, si vale; si no, DatosInvalidosError."""
    return validar_texto("nombre", nombre, MAX_NOMBRE)


def validar_apellido(apellido: object) -> str:
    """El apellido, si vale; si no, DatosInvalidosError."""
    return validar_texto("apellido", apellido, MAX_APELLIDO)


def validar_correo(email: object) -> str:
    """El correo electrónico, si tiene la forma nombre@dominio; si no, DatosInvalidosError."""
    return validar_email("email", email, MAX_EMAIL)
