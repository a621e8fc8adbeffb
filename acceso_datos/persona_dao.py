"""`PersonaDAO`: altas, bajas, cambios y consultas de la tabla `persona`.

Igual que `UsuarioDAO`: cada método valida primero; los que leen piden sus filas a
`consultar()` y los que escriben, la conexión a `transaccion()`. Con `cursor=` se unen a
la transacción de quien llama.
"""

from collections.abc import Iterator

from psycopg2.extensions import cursor as Cursor

from acceso_datos.dao_base import (
    consultar,
    entero_devuelto,
    recorrer,
    transaccion,
    validar_pagina,
)
from acceso_datos.persona import Persona, validar_persona
from acceso_datos.validacion import validar_id


class PersonaDAO:
    """Acceso a datos de `Persona`. Solo parámetros %s: nunca se formatea SQL con valores."""

    _ENTIDAD = "una persona"  # nombra el registro en RegistroDuplicadoError
    _SELECCIONAR = "SELECT id_persona, nombre, apellido, email FROM persona ORDER BY id_persona"
    _SELECCIONAR_PAGINA = (
        "SELECT id_persona, nombre, apellido, email FROM persona "
        "ORDER BY id_persona LIMIT %s OFFSET %s"
    )
    _BUSCAR_POR_ID = "SELECT id_persona, nombre, apellido, email FROM persona WHERE id_persona = %s"
    _CONTAR = "SELECT count(*) FROM persona"
    _INSERTAR = (
        "INSERT INTO persona (nombre, apellido, email) VALUES (%s, %s, %s) RETURNING id_persona"
    )
    _ACTUALIZAR = "UPDATE persona SET nombre = %s, apellido = %s, email = %s WHERE id_persona = %s"
    _ELIMINAR = "DELETE FROM persona WHERE id_persona = %s"

    @classmethod
    def seleccionar(cls, *, cursor: Cursor | None = None) -> list[Persona]:
        """Todas las personas, ordenadas por id."""
        return [Persona(*fila) for fila in consultar(cls._SELECCIONAR, cursor=cursor)]

    @classmethod
    def seleccionar_pagina(
        cls, limite: int, desplazamiento: int = 0, *, cursor: Cursor | None = None
    ) -> list[Persona]:
        """Hasta `limite` personas a partir de la posición `desplazamiento`, ordenadas por id."""
        pagina = validar_pagina(limite, desplazamiento)
        return [
            Persona(*fila) for fila in consultar(cls._SELECCIONAR_PAGINA, pagina, cursor=cursor)
        ]

    @classmethod
    def iterar(cls, tamano_lote: int = 1000, *, cursor: Cursor | None = None) -> Iterator[Persona]:
        """Recorre todas las personas por lotes, sin cargar la tabla entera en memoria."""
        return (Persona(*fila) for fila in recorrer(cls._SELECCIONAR, tamano_lote, cursor))

    @classmethod
    def buscar_por_id(cls, id_persona: int, *, cursor: Cursor | None = None) -> Persona | None:
        """La persona con ese id, o None si no existe."""
        if validar_id("id_persona", id_persona) is None:
            return None
        filas = consultar(cls._BUSCAR_POR_ID, (id_persona,), cursor=cursor)
        return Persona(*filas[0]) if filas else None

    @classmethod
    def contar(cls, *, cursor: Cursor | None = None) -> int:
        """Cuántas personas hay."""
        [(cuantas,)] = consultar(cls._CONTAR, cursor=cursor)
        return int(cuantas)

    @classmethod
    def insertar(cls, persona: Persona, *, cursor: Cursor | None = None) -> int:
        """Inserta la persona y le asigna su id; devuelve 1."""
        datos = validar_persona(persona)
        with transaccion(cursor, cls._ENTIDAD) as cur:
            cur.execute(cls._INSERTAR, datos)
            nuevo_id = entero_devuelto(cur)
        persona.id_persona = nuevo_id
        return 1

    @classmethod
    def actualizar(cls, persona: Persona, *, cursor: Cursor | None = None) -> int:
        """Cambia nombre, apellido y e-mail; devuelve las filas cambiadas: 0 si el id no existe."""
        id_persona = validar_id("id_persona", persona.id_persona)
        datos = validar_persona(persona)
        if id_persona is None:
            return 0
        with transaccion(cursor, cls._ENTIDAD) as cur:
            cur.execute(cls._ACTUALIZAR, (*datos, id_persona))
            return cur.rowcount

    @classmethod
    def eliminar(cls, persona: Persona, *, cursor: Cursor | None = None) -> int:
        """Borra la persona por su id; devuelve las filas borradas: 0 si no existía."""
        id_persona = validar_id("id_persona", persona.id_persona)
        if id_persona is None:
            return 0
        with transaccion(cursor) as cur:
            cur.execute(cls._ELIMINAR, (id_persona,))
            return cur.rowcount
