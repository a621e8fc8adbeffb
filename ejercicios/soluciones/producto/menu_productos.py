"""El submenú de productos: una opción más del menú principal (docs/agregar-un-dao.md)."""

from decimal import Decimal

from acceso_datos.consola import (
    confirmar_borrado,
    leer_decimal,
    leer_id,
    listar_por_paginas,
    repetir_menu,
)
from acceso_datos.producto import Producto, validar_nombre, validar_precio
from acceso_datos.producto_dao import ProductoDAO

MENU_PRODUCTOS = """
--- Productos ---
1) Listar productos
2) Agregar producto
3) Modificar producto
4) Eliminar producto
0) Volver"""


class MenuProductos:
    """Listar, agregar, modificar y eliminar productos; 0 vuelve al menú principal."""

    def ejecutar(self) -> None:
        """Muestra el submenú hasta que se elige 0 (volver)."""
        repetir_menu(
            MENU_PRODUCTOS,
            {"1": self.listar, "2": self.agregar, "3": self.modificar, "4": self.eliminar},
        )

    def listar(self) -> None:
        """Opción 1: la tabla de productos, de 20 en 20."""
        listar_por_paginas(
            ProductoDAO.seleccionar_pagina,
            f"{'ID':>6}  {'PRECIO':>12}  NOMBRE",
            lambda producto: (
                f"{producto.id_producto:>6}  {en_pantalla(producto.precio):>12}  {producto.nombre}"
            ),
            ("producto", "productos"),
            "No hay productos registrados. Use la opción 2 para agregar uno.",
            id_de=lambda producto: producto.id_producto,
        )

    def agregar(self) -> None:
        """Opción 2: pide nombre y precio (cada uno se valida al escribirlo) y da el id nuevo."""
        nombre = validar_nombre(input("Nombre: "))
        precio = validar_precio(leer_decimal("Precio (p. ej. 9,99): ", "precio"))
        producto = Producto(nombre=nombre, precio=precio)
        ProductoDAO.insertar(producto)
        print(f"Producto agregado con id {producto.id_producto}.")

    def modificar(self) -> None:
        """Opción 3: cambia el nombre y el precio del producto."""
        producto = self._buscar(leer_id("Id del producto a modificar: "))
        if producto is None:
            return
        print(f"Producto actual: {producto.nombre}, {en_pantalla(producto.precio)}")
        producto.nombre = validar_nombre(input("Nuevo nombre: "))
        producto.precio = validar_precio(leer_decimal("Nuevo precio: ", "precio"))
        if ProductoDAO.actualizar(producto) == 0:
            print(f"El producto {producto.id_producto} ya no existe: otro lo eliminó.")
        else:
            print(f"Producto {producto.id_producto} modificado.")

    def eliminar(self) -> None:
        """Opción 4: muestra el producto y lo borra solo si se confirma con 's'."""
        producto = self._buscar(leer_id("Id del producto a eliminar: "))
        if producto is None or not confirmar_borrado(producto.nombre):
            return
        if ProductoDAO.eliminar(producto) == 0:
            print(f"El producto {producto.id_producto} ya no existía.")
        else:
            print(f"Producto {producto.id_producto} eliminado.")

    @staticmethod
    def _buscar(id_producto: int | None) -> Producto | None:
        if id_producto is None:
            return None
        producto = ProductoDAO.buscar_por_id(id_producto)
        if producto is None:
            print(f"No existe ningún producto con id {id_producto}. Use la opción 1 para verlos.")
        return producto


def en_pantalla(precio: Decimal | None) -> str:
    """Un precio con sus dos decimales y coma decimal: «9,99»."""
    return f"{precio:.2f}".replace(".", ",")
