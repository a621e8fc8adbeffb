"""`python -m acceso_datos`: arranca la base de datos y el menú de usuarios."""

import sys

from acceso_datos.menu_app_usuario import main

if __name__ == "__main__":
    sys.exit(main())
