"""`ProductoDAO`: altas, bajas, cambios y consultas de la tabla `producto`.

Copiado de `persona_dao.py`, con su SQL y su entidad: cada método valida primero; los que
leen piden sus filas a `consultar()` y los que escriben, la conexión a `transaccion()`; con
`cursor=`, los dos se unen a la transacción de quien llama.
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
from acceso_datos.producto import Producto, validar_producto
from acceso_datos.validacion import validar_id


class ProductoDAO:
    """Acceso a datos de `Producto`. Solo parámetros %s: nunca se formatea SQL con valores."""

    _ENTIDAD = "un producto"  # nombra el registro en RegistroDuplicadoError
    _SELECCIONAR = "SELECT id_producto, nombre, precio FROM producto ORDER BY id_producto"
    _SELECCIONAR_PAGINA = (
        "SELECT id_producto, nombre, precio FROM producto ORDER BY id_producto LIMIT %s OFFSET %s"
    )
    _BUSCAR_POR_ID = "SELECT id_producto, nombre, precio FROM producto WHERE id_producto = %s"
    _CONTAR = "SELECT count(*) FROM producto"
    _INSERTAR = "INSERT INTO producto (nombre, precio) VALUES (%s, %s) RETURNING id_producto"
    _ACTUALIZAR = "UPDATE producto SET nombre = %s, precio = %s WHERE id_producto = %s"
    _ELIMINAR = "DELETE FROM producto WHERE id_producto = %s"

    @classmethod
    def seleccionar(cls, *, cursor: Cursor | None = None) -> list[Producto]:
        """Todos los productos, ordenados por id."""
        return [Producto(*fila) for fila in consultar(cls._SELECCIONAR, cursor=cursor)]

    @classmethod
    def seleccionar_pagina(
        cls, limite: int, desplazamiento: int = 0, *, cursor: Cursor | None = None
    ) -> list[Producto]:
        """Hasta `limite` productos a partir de la posición `desplazamiento`, ordenados por id."""
        pagina = validar_pagina(limite, desplazamiento)
        return [
            Producto(*fila) for fila in consultar(cls._SELECCIONAR_PAGINA, pagina, cursor=cursor)
        ]

    @classmethod
    def iterar(cls, tamano_lote: int = 1000, *, cursor: Cursor | None = None) -> Iterator[Producto]:
        """Recorre todos los productos por lotes, sin cargar la tabla entera en memoria."""
        return (Producto(*fila) for fila in recorrer(cls._SELECCIONAR, tamano_lote, cursor))

    @classmethod
    def buscar_por_id(cls, id_producto: int, *, cursor: Cursor | None = None) -> Producto | None:
        """El producto con ese id, o None si no existe."""
        if validar_id("id_producto", id_producto) is None:
            return None
        filas = consultar(cls._BUSCAR_POR_ID, (id_producto,), cursor=cursor)
        return Producto(*filas[0]) if filas else None

    @classmethod
    def contar(cls, *, cursor: Cursor | None = None) -> int:
        """Cuántos productos hay."""
        [(cuantos,)] = consultar(cls._CONTAR, cursor=cursor)
        return int(cuantos)

    @classmethod
    def insertar(cls, producto: Producto, *, cursor: Cursor | None = None) -> int:
        """Inserta el producto y le asigna su id; devuelve 1."""
        datos = validar_producto(producto)
        with transaccion(cursor, cls._ENTIDAD) as cur:
            cur.execute(cls._INSERTAR, datos)
            nuevo_id = entero_devuelto(cur)
        producto.id_producto = nuevo_id
        return 1

    @classmethod
    def actualizar(cls, producto: Producto, *, cursor: Cursor | None = None) -> int:
        """Cambia nombre y precio; devuelve las filas cambiadas: 0 si el id no existe."""
        id_producto = validar_id("id_producto", producto.id_producto)
        datos = validar_producto(producto)
        if id_producto is None:
            return 0
        with transaccion(cursor, cls._ENTIDAD) as cur:
            cur.execute(cls._ACTUALIZAR, (*datos, id_producto))
            return cur.rowcount

    @classmethod
    def eliminar(cls, producto: Producto, *, cursor: Cursor | None = None) -> int:
        """Borra el producto por su id; devuelve las filas borradas: 0 si no existía."""
        id_producto = validar_id("id_producto", producto.id_producto)
        if id_producto is None:
            return 0
        with transaccion(cursor) as cur:
            cur.execute(cls._ELIMINAR, (id_producto,))
            return cur.rowcount
