"""La orden `psql` sobre la base configurada o la embebida (la usa `make psql`)."""

import os
import shutil

from acceso_datos.conexion import configuracion_resuelta
from acceso_datos.servidor_embebido import BINARIOS


def preparar_psql() -> tuple[list[str], dict[str, str], str]:
    """Arranca el servidor si es el embebido; devuelve la orden psql, su entorno y el destino."""
    configuracion = configuracion_resuelta()
    # Sin psql en el PATH se usa el que trae el servidor embebido.
    psql = shutil.which("psql") or str(BINARIOS / "psql")
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
    return argumentos, entorno, configuracion.destino()
