"""La ficha de `ProductoDAO` que se añade a la lista FICHAS de tests/test_contrato_dao.py
(con `from decimal import Decimal` y
`from acceso_datos.producto import Producto` / `from acceso_datos.producto_dao import
ProductoDAO` arriba del todo)."""

FICHA = """\
    FichaDAO(
        ProductoDAO,
        "id_producto",
        "nombre",
        lambda n: Producto(None, f"Producto {n}", Decimal(n) + Decimal("0.99")),
        {"nombre": " ", "precio": Decimal("NaN")},
        {"nombre": ("Café", "Té"), "precio": (Decimal("1.50"), Decimal("2.75"))},
    ),
"""
IMPORTACIONES = """\
from decimal import Decimal

from acceso_datos.producto import Producto
from acceso_datos.producto_dao import ProductoDAO
"""
