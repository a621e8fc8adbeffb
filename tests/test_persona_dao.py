"""Tests de lo propio de `PersonaDAO` contra un PostgreSQL real: los datos que el curso
guarda de una persona van y vuelven exactos, y sus reglas se cumplen en los límites. Lo que
cumple todo DAO está en test_contrato_dao.py."""

import pytest
from entradas_hostiles import USERNAMES_HOSTILES

from acceso_datos.errores import DatosInvalidosError, RegistroDuplicadoError
from acceso_datos.persona import Persona
from acceso_datos.persona_dao import PersonaDAO

pytestmark = pytest.mark.usefixtures("base_limpia")


@pytest.mark.parametrize("texto", USERNAMES_HOSTILES)
def test_nombre_y_apellido_hostiles_o_internacionales_van_y_vuelven_exactos(texto):
    persona = Persona(None, texto, texto, "ana@ejemplo.com")

    PersonaDAO.insertar(persona)

    assert PersonaDAO.buscar_por_id(persona.id_persona) == persona
    assert PersonaDAO.seleccionar() == [persona]


def test_los_limites_de_longitud_de_la_tabla_se_admiten_exactos():
    persona = Persona(None, "n" * 50, "a" * 50, "e" * 94 + "@b.com")

    PersonaDAO.insertar(persona)

    assert PersonaDAO.buscar_por_id(persona.id_persona) == persona


@pytest.mark.parametrize(
    "email", ["ana perez@ejemplo.com", "ana@ejemplo.com ", "sin-arroba", "a@b@c", "@b.es"]
)
def test_un_email_sin_forma_de_email_no_se_guarda(email):
    with pytest.raises(DatosInvalidosError, match="^El campo correo electrónico "):
        PersonaDAO.insertar(Persona(None, "Ana", "Pérez", email))

    assert PersonaDAO.contar() == 0


def test_el_email_repetido_lo_explica_con_una_persona_y_el_email():
    PersonaDAO.insertar(Persona(None, "Ana", "Pérez", "ana@ejemplo.com"))

    with pytest.raises(RegistroDuplicadoError) as error:
        PersonaDAO.insertar(Persona(None, "Otra", "Ana", "ana@ejemplo.com"))

    assert str(error.value) == (
        "Ya existe una persona con correo electrónico 'ana@ejemplo.com'. "
        "Elija otro correo electrónico."
    )
