"""`python -m acceso_datos`: arranca la base de datos y el menú de usuarios.

Con `--psql` (lo que hace `make psql`) abre psql sobre esa misma base.
"""

import subprocess
import sys

from acceso_datos.consola_psql import preparar_psql
from acceso_datos.errores import ErrorAccesoDatos
from acceso_datos.menu_app_usuario import main


def main_psql() -> int:
    """Abre psql en la terminal y devuelve su código de salida."""
    try:
        argumentos, entorno, destino = preparar_psql()
    except ErrorAccesoDatos as error:
        print(f"Error: {error}", file=sys.stderr)
        return 1
    print(f"psql sobre {destino} (salga con \\q)")
    return subprocess.call(argumentos, env=entorno)


if __name__ == "__main__":
    try:
        sys.exit(main_psql() if sys.argv[1:] == ["--psql"] else main())
    except KeyboardInterrupt:
        # Ctrl-C durante el arranque (el menú ya atiende el suyo): sin traza.
        print("\nInterrumpido.", file=sys.stderr)
        sys.exit(130)
