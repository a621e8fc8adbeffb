"""El submenú de personas: la opción 7 del menú principal."""

from acceso_datos.consola import confirmar_borrado, leer_id, listar_por_paginas, repetir_menu
from acceso_datos.persona import Persona, validar_apellido, validar_correo, validar_nombre
from acceso_datos.persona_dao import PersonaDAO

MENU_PERSONAS = """
--- Personas ---
1) Listar personas
2) Agregar persona
3) Modificar persona
4) Eliminar persona
0) Volver"""


class MenuPersonas:
    """Listar, agregar, modificar y eliminar personas; 0 vuelve al menú principal."""

    def ejecutar(self) -> None:
        """Muestra el submenú hasta que se elige 0 (volver)."""
        repetir_menu(
            MENU_PERSONAS,
            {"1": self.listar, "2": self.agregar, "3": self.modificar, "4": self.eliminar},
        )

    def listar(self) -> None:
        """Opción 1: la tabla de personas, de 20 en 20."""
        listar_por_paginas(
            PersonaDAO.seleccionar_pagina,
            f"{'ID':>6}  NOMBRE APELLIDO <CORREO ELECTRÓNICO>",
            lambda persona: (
                f"{persona.id_persona:>6}  {persona.nombre} {persona.apellido} <{persona.email}>"
            ),
            ("persona", "personas"),
            "No hay personas registradas. Use la opción 2 para agregar una.",
            id_de=lambda persona: persona.id_persona,
        )

    def agregar(self) -> None:
        """Opción 2: pide nombre, apellido y correo electrónico y muestra el id nuevo."""
        # Cada dato se valida al escribirlo, como el nombre de usuario en el menú principal:
        # un error se dice en el acto, no después de las tres preguntas.
        nombre = validar_nombre(input("Nombre: "))
        apellido = validar_apellido(input("Apellido: "))
        email = validar_correo(input("Correo electrónico: "))
        persona = Persona(nombre=nombre, apellido=apellido, email=email)
        PersonaDAO.insertar(persona)
        print(f"Persona agregada con id {persona.id_persona}.")

    def modificar(self) -> None:
        """Opción 3: cambia nombre, apellido o correo electrónico; vacío conserva el valor."""
        persona = self._buscar(leer_id("Id de la persona a modificar: "))
        if persona is None:
            return
        print(f"Persona actual: {persona.nombre} {persona.apellido} <{persona.email}>")
        nombre = input("Nuevo nombre (Enter para conservarlo): ")
        if nombre:
            validar_nombre(nombre)
        apellido = input("Nuevo apellido (Enter para conservarlo): ")
        if apellido:
            validar_apellido(apellido)
        email = input("Nuevo correo electrónico (Enter para conservarlo): ")
        if email:
            validar_correo(email)
        if not (nombre or apellido or email):
            print("Sin cambios.")
            return
        persona.nombre = nombre or persona.nombre
        persona.apellido = apellido or persona.apellido
        persona.email = email or persona.email
        if PersonaDAO.actualizar(persona) == 0:
            print(f"La persona {persona.id_persona} ya no existe: otro la eliminó.")
        else:
            print(f"Persona {persona.id_persona} modificada.")

    def eliminar(self) -> None:
        """Opción 4: muestra la persona y la borra solo si se confirma con 's'."""
        persona = self._buscar(leer_id("Id de la persona a eliminar: "))
        if persona is None or not confirmar_borrado(persona):
            return
        if PersonaDAO.eliminar(persona) == 0:
            print(f"La persona {persona.id_persona} ya no existía.")
        else:
            print(f"Persona {persona.id_persona} eliminada.")

    @staticmethod
    def _buscar(id_persona: int | None) -> Persona | None:
        if id_persona is None:
            return None
        persona = PersonaDAO.buscar_por_id(id_persona)
        if persona is None:
            print(f"No existe ninguna persona con id {id_persona}. Use la opción 1 para verlas.")
        return persona
