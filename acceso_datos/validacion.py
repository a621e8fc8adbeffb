"""Validadores que comparten las entidades y los DAO: texto, e-mail, enteros, ids e importes.

Cada uno devuelve el valor si sirve y, si no, lanza `DatosInvalidosError` con un mensaje
en español que empieza por «El campo <nombre>»: así el menú puede mostrarlo tal cual.
Las columnas con nombre en inglés se nombran en español (`ETIQUETAS`).
"""

import re
from decimal import Decimal

from acceso_datos.errores import DatosInvalidosError

MAX_SERIAL = 2**31 - 1  # el mayor id de una columna SERIAL (integer de 4 bytes)
MAX_BIGINT = 2**63 - 1  # el mayor LIMIT u OFFSET que admite PostgreSQL

# Forma mínima de una dirección: algo, una arroba, algo; sin espacios ni otra arroba.
_FORMA_EMAIL = re.compile(r"[^@\s]+@[^@\s]+")

# Cómo se llama en pantalla cada columna cuyo nombre no es español (las demás, igual que en
# la tabla). Un DAO nuevo con una columna así añade aquí su línea.
ETIQUETAS = {
    "username": "nombre de usuario",
    "password": "contraseña",
    "email": "correo electrónico",
}


def etiqueta(campo: str) -> str:
    """El nombre de un campo (atributo o columna) tal como lo lee quien usa el programa."""
    return ETIQUETAS.get(campo, campo)


def _invalido(campo: str, motivo: str) -> DatosInvalidosError:
    """«El campo <nombre> <motivo>», con el nombre en español."""
    return DatosInvalidosError(f"El campo {etiqueta(campo)} {motivo}")


# Los caracteres de control: la categoría Unicode «Cc» son exactamente estos dos tramos
# (NUL incluido, que PostgreSQL rechaza). Un patrón los busca en C, sin recorrer el texto
# carácter a carácter en Python: validar es el camino de cada alta (make bench).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_ESPACIO = re.compile(r"\s")  # lo mismo que str.isspace(), carácter a carácter


def validar_texto(campo: str, valor: object, maximo: int) -> str:
    """Devuelve el texto si no está en blanco, cabe en `maximo` caracteres y no lleva
    caracteres de control; si no, lanza DatosInvalidosError."""
    if valor is None:
        raise _invalido(campo, "es obligatorio.")
    if not isinstance(valor, str):
        raise _invalido(campo, "debe ser texto.")
    if not valor.strip():
        raise _invalido(campo, "no puede estar en blanco.")
    if len(valor) > maximo:
        raise _invalido(campo, f"tiene {len(valor)} caracteres; el máximo es {maximo}.")
    exigir_utf8(campo, valor)
    if _CONTROL.search(valor):
        raise _invalido(
            campo,
            "no puede contener caracteres de control (tabuladores, saltos de línea, NUL...).",
        )
    return valor


def validar_email(campo: str, valor: object, maximo: int) -> str:
    """Devuelve el e-mail si tiene la forma nombre@dominio, sin espacios y en `maximo`
    caracteres como mucho; si no, lanza DatosInvalidosError."""
    email = validar_texto(campo, valor, maximo)
    if _ESPACIO.search(email):
        raise _invalido(campo, f"no puede contener espacios ('{email}').")
    if not _FORMA_EMAIL.fullmatch(email):
        raise _invalido(campo, f"debe tener la forma nombre@dominio (escribió '{email}').")
    return email


def validar_entero(
    campo: str, valor: object, minimo: int | None = None, maximo: int | None = None
) -> int:
    """Devuelve el entero si está entre `minimo` y `maximo`; si no (o si no es un int, o
    es un bool), lanza DatosInvalidosError."""
    if valor is None:
        raise _invalido(campo, "es obligatorio.")
    if isinstance(valor, bool) or not isinstance(valor, int):
        raise _invalido(campo, "debe ser un número entero.")
    if minimo is not None and valor < minimo:
        raise _invalido(campo, f"debe ser al menos {minimo} (es {valor}).")
    if maximo is not None and valor > maximo:
        raise _invalido(campo, f"no puede pasar de {maximo}.")
    return valor


def validar_id(campo: str, valor: object) -> int | None:
    """Devuelve el id si alguna fila puede tenerlo, o None si es un entero que ninguna
    tiene (0, negativo o mayor que un SERIAL): así no hace falta preguntar a la base.
    Si no es un entero, lanza DatosInvalidosError."""
    id_ = validar_entero(campo, valor)
    return id_ if 1 <= id_ <= MAX_SERIAL else None


def validar_decimal(
    campo: str, valor: object, digitos: int, decimales: int, minimo: Decimal | None = None
) -> Decimal:
    """Devuelve el valor como Decimal si cabe exacto en NUMERIC(digitos, decimales) y no es
    menor que `minimo`; si no, lanza DatosInvalidosError.

    PostgreSQL redondearía en silencio los decimales de más y admitiría NaN (que además
    pasa un CHECK (valor >= 0)); un float como 0.1 ya llega inexacto. Por eso aquí se
    exige un Decimal (o un int) finito y con `decimales` decimales como mucho.
    """
    if valor is None:
        raise _invalido(campo, "es obligatorio.")
    if isinstance(valor, bool) or not isinstance(valor, int | Decimal):
        motivo = ": un float no guarda exactos los decimales" if isinstance(valor, float) else ""
        raise _invalido(campo, f"debe ser un Decimal (p. ej. Decimal('9.99')) o un entero{motivo}.")
    numero = Decimal(valor)
    if not numero.is_finite():
        raise _invalido(campo, f"debe ser un número finito (es {numero}).")
    escrito = _en_pantalla(numero)
    desplazado = numero.scaleb(decimales)  # 1.999 con 2 decimales -> 199.9: sobra uno
    if desplazado != desplazado.to_integral_value():
        raise _invalido(campo, f"admite como mucho {decimales} decimales (es {escrito}).")
    maximo = Decimal(10) ** (digitos - decimales)
    if abs(numero) >= maximo:
        raise _invalido(campo, f"debe ser menor que {_en_pantalla(maximo)} (es {escrito}).")
    if minimo is not None and numero < minimo:
        raise _invalido(campo, f"debe ser al menos {_en_pantalla(minimo)} (es {escrito}).")
    return numero


def _en_pantalla(numero: Decimal) -> str:
    """Un Decimal como se escribe en español: coma decimal y sin exponente (1E+3 -> 1000)."""
    return f"{numero:f}".replace(".", ",")


def exigir_utf8(campo: str, texto: str) -> None:
    """Lanza DatosInvalidosError si el texto no se puede guardar como UTF-8."""
    # Un str de Python puede llevar sustitutos sueltos (p. ej. '\udc80') que no son UTF-8.
    try:
        texto.encode("utf-8")
    except UnicodeEncodeError:
        raise _invalido(campo, "contiene caracteres que no son texto Unicode válido.") from None
