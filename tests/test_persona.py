"""Tests unitarios de `Persona` y de sus reglas de validación (sin base de datos)."""

import pytest

from acceso_datos.errores import DatosInvalidosError
from acceso_datos.persona import Persona, validar_persona
from acceso_datos.validacion import etiqueta


def test_argumentos_por_posicion_siguen_el_orden_de_la_tabla():
    persona = Persona(7, "Ana", "Pérez", "ana@ejemplo.com")

    assert (persona.id_persona, persona.nombre, persona.apellido, persona.email) == (
        7,
        "Ana",
        "Pérez",
        "ana@ejemplo.com",
    )
    assert Persona() == Persona(None, None, None, None)


def test_str_y_repr_muestran_sus_datos():
    persona = Persona(7, "Ana", "Pérez", "ana@ejemplo.com")

    assert str(persona) == "Persona 7: Ana Pérez <ana@ejemplo.com>"
    assert repr(persona) == (
        "Persona(id_persona=7, nombre='Ana', apellido='Pérez', email='ana@ejemplo.com')"
    )


def test_dos_personas_son_iguales_si_todos_sus_datos_lo_son():
    assert Persona(1, "Ana", "Pérez", "a@b.es") == Persona(1, "Ana", "Pérez", "a@b.es")
    assert Persona(1, "Ana", "Pérez", "a@b.es") != Persona(1, "Ana", "Pérez", "otra@b.es")
    assert Persona(1, "Ana", "Pérez", "a@b.es") != (1, "Ana", "Pérez", "a@b.es")


def test_persona_es_mutable_y_no_se_puede_usar_como_clave():
    with pytest.raises(TypeError):
        hash(Persona(1, "Ana", "Pérez", "a@b.es"))


def test_validar_persona_devuelve_los_datos_listos_para_guardar():
    assert validar_persona(Persona(None, "Ana", "Pérez", "a@b.es")) == ("Ana", "Pérez", "a@b.es")


@pytest.mark.parametrize(
    ("campo", "persona"),
    [
        ("nombre", Persona(None, "   ", "Pérez", "a@b.es")),
        ("nombre", Persona(None, None, "Pérez", "a@b.es")),
        ("nombre", Persona(None, "x" * 51, "Pérez", "a@b.es")),
        ("apellido", Persona(None, "Ana", "", "a@b.es")),
        ("apellido", Persona(None, "Ana", "x" * 51, "a@b.es")),
        ("email", Persona(None, "Ana", "Pérez", "a b@c.es")),
        ("email", Persona(None, "Ana", "Pérez", "sin-arroba")),
        ("email", Persona(None, "Ana", "Pérez", "a" * 95 + "@b.es0")),
    ],
)
def test_datos_invalidos_lanzan_datos_invalidos_que_nombra_el_campo(campo, persona):
    with pytest.raises(DatosInvalidosError, match=f"^El campo {etiqueta(campo)} "):
        validar_persona(persona)
