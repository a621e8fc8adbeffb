"""La entidad `Producto` y las reglas que deben cumplir sus datos."""

from dataclasses import dataclass
from decimal import Decimal

from acceso_datos.validacion import validar_decimal, validar_texto

MAX_NOMBRE = 100


@dataclass
class Producto:
    """Un producto de la tabla `producto`; `id_producto` lo pone la base al insertarlo."""

    id_producto: int | None = None
    nombre: str | None = None
    precio: Decimal | None = None


def validar_producto(producto: Producto) -> tuple[str, Decimal]:
    """Nombre y precio listos para guardar; si alguno no vale, DatosInvalidosError."""
    return (
        validar_texto("nombre", producto.nombre, MAX_NOMBRE),
        validar_decimal("precio", producto.precio, 10, 2, minimo=Decimal(0)),
    )
