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
    return validar_nombre(producto.nombre), validar_precio(producto.precio)


# Una por campo: el menú valida cada respuesta al escribirla, antes de la siguiente pregunta.
def validar_nombre(nombre: object) -> str:
    """El nombre, si vale; si no, DatosInvalidosError."""
    return validar_texto("nombre", nombre, MAX_NOMBRE)


def validar_precio(precio: object) -> Decimal:
    """El precio, si cabe exacto en NUMERIC(10, 2) y no es negativo; si no, DatosInvalidosError."""
    return validar_decimal("precio", precio, 10, 2, minimo=Decimal(0))
