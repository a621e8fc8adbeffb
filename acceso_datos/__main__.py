"""`python -m acceso_datos`: arranca la base de datos y el menú de usuarios.

Con `--psql` (lo que hace `make psql`) abre psql sobre esa misma base; con `--detener`
(`make stop`), detiene el PostgreSQL embebido si quedó en marcha.
"""

import subprocess
import sys
from collections.abc import Callable

from acceso_datos.configuracion import leer_configuracion
from acceso_datos.consola import escribir_linea_a_linea
from acceso_datos.consola_psql import preparar_psql
from acceso_datos.errores import ErrorAccesoDatos
from acceso_datos.menu_app_usuario import main
from acceso_datos.senales import ejecutar_atendiendo_senales
from acceso_datos.servidor_embebido import detener_servidor


def main_psql() -> int:
    """Abre psql en la terminal y devuelve su código de salida."""
    try:
        argumentos, entorno, destino = preparar_psql()
    except ErrorAccesoDatos as error:
        print(f"Error: {error}", file=sys.stderr)
        return 1
    print(f"psql sobre {destino} (salga con \\q)")
    return subprocess.call(argumentos, env=entorno)


def main_detener() -> int:
    """Detiene el PostgreSQL embebido si está en marcha y dice qué hizo."""
    try:
        directorio = leer_configuracion().directorio_embebido
        detenido = detener_servidor(directorio)
    except ErrorAccesoDatos as error:
        print(f"Error: {error}", file=sys.stderr)
        return 1
    if detenido:
        print(f"PostgreSQL embebido detenido (datos en {directorio}, intactos).")
    else:
        print(f"No había ningún PostgreSQL embebido en marcha en {directorio}: nada que detener.")
    return 0


# Los argumentos, tal cual, y el programa que piden; sin ninguno (o con otros), el menú.
PROGRAMAS: dict[tuple[str, ...], Callable[[], int]] = {
    ("--psql",): main_psql,
    ("--detener",): main_detener,
}

if __name__ == "__main__":
    escribir_linea_a_linea()
    try:
        sys.exit(ejecutar_atendiendo_senales(PROGRAMAS.get(tuple(sys.argv[1:]), main)))
    except KeyboardInterrupt:
        # Ctrl-C durante el arranque (el menú ya atiende el suyo): sin traza.
        print("\nInterrumpido.", file=sys.stderr)
        sys.exit(130)
