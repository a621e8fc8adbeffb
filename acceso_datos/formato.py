"""Números y plurales como se escriben en español, para la pantalla y para los mensajes.

Lo usan la biblioteca (los mensajes de error y de aviso que acaban en pantalla) y la
consola, así que está aquí abajo y no en `consola.py`: las capas de abajo no importan a
las de arriba.
"""


def numero(valor: float, decimales: int = 0) -> str:
    """Un número con coma decimal y espacio entre millares: «1 234,5»."""
    texto = f"{valor:,.{decimales}f}"
    return texto.replace(",", " ").replace(".", ",")


def segundos(valor: float, decimales: int | None = 1) -> str:
    """Una duración en segundos: «1,0 s». Con `decimales=None`, los que tenga el valor (un
    plazo configurado: «30 s», «0,5 s»)."""
    if decimales is None:
        return f"{valor:g} s".replace(".", ",")
    return f"{numero(valor, decimales)} s"


def plural(cantidad: int, singular: str, varios: str) -> str:
    """La cantidad con su nombre en singular o en plural: «1 conexión», «2 conexiones»."""
    return f"{cantidad} {singular if cantidad == 1 else varios}"
