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
        validar_texto("nombre", persona.nombre, MAX_NOMBRE),
        validar_texto("apellido", persona.apellido, MAX_APELLIDO),
        validar_email("email", persona.email, MAX_EMAIL),
    )
