"""`python -m acceso_datos`: arranca la base de datos y el menú de usuarios."""

import sys

from acceso_datos.menu_app_usuario import main

if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        # Ctrl-C durante el arranque (el menú ya atiende el suyo): sin traza.
        print("\nInterrumpido.", file=sys.stderr)
        sys.exit(130)
