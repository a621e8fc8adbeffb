"""El menú cuando otra sesión borra el registro que se está modificando o eliminando: entre
buscarlo y guardar pasa tiempo (el usuario escribe), y el menú debe decirlo, no fallar."""

import os
from collections.abc import Callable

import pytest
from menu_en_proceso import ESPERA, PROMPT, menu_interactivo

from acceso_datos.persona import Persona
from acceso_datos.persona_dao import PersonaDAO
from acceso_datos.usuario import Usuario
from acceso_datos.usuario_dao import UsuarioDAO

pytestmark = pytest.mark.usefixtures("base_limpia")


def usuario_nuevo() -> tuple[int, Callable[[], int]]:
    usuario = Usuario(username="ana", password="clave-de-ana")
    UsuarioDAO.insertar(usuario)
    return usuario.id_usuario, lambda: UsuarioDAO.eliminar(usuario)


def persona_nueva() -> tuple[int, Callable[[], int]]:
    persona = Persona(nombre="Ana", apellido="Pérez", email="ana@ejemplo.com")
    PersonaDAO.insertar(persona)
    return persona.id_persona, lambda: PersonaDAO.eliminar(persona)


@pytest.mark.parametrize(
    ("crear", "submenu", "opcion", "pregunta", "respuestas", "aviso", "contar"),
    [
        pytest.param(
            usuario_nuevo, [], "3", "(Enter para conservarlo): ", ["bea", ""],
            "El usuario {id} ya no existe: otro lo eliminó.", UsuarioDAO.contar,
            id="modificar_usuario",
        ),
        pytest.param(
            usuario_nuevo, [], "4", "¿Confirma? (s/n): ", ["s"],
            "El usuario {id} ya no existía.", UsuarioDAO.contar,
            id="eliminar_usuario",
        ),
        pytest.param(
            persona_nueva, ["7"], "3", "(Enter para conservarlo): ", ["Bea", "", ""],
            "La persona {id} ya no existe: otro la eliminó.", PersonaDAO.contar,
            id="modificar_persona",
        ),
        pytest.param(
            persona_nueva, ["7"], "4", "¿Confirma? (s/n): ", ["s"],
            "La persona {id} ya no existía.", PersonaDAO.contar,
            id="eliminar_persona",
        ),
    ],
)  # fmt: skip
def test_si_otra_sesion_lo_borra_a_mitad_el_menu_lo_dice_y_no_lo_resucita(
    tmp_path, crear, submenu, opcion, pregunta, respuestas, aviso, contar
):
    id_registro, borrar_desde_otra_sesion = crear()
    with menu_interactivo(os.environ, tmp_path / "errores.txt") as (proceso, menu):
        menu.esperar(PROMPT)
        menu.escribir(*submenu, opcion, str(id_registro))
        menu.esperar(pregunta)

        borrar_desde_otra_sesion()
        menu.escribir(*respuestas)

        respuesta = menu.esperar(PROMPT)
        menu.escribir(*["0"] * (len(submenu) + 1))
        menu.resto()
        assert proceso.wait(ESPERA) == 0
    assert aviso.format(id=id_registro) in respuesta
    assert contar() == 0
    assert "Traceback" not in (tmp_path / "errores.txt").read_text()
