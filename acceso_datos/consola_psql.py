"""La orden `psql` sobre la base configurada o la embebida (la usa `make psql`)."""

import os
import shutil

from psycopg2.extensions import make_dsn

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
    # Con varios servidores, -h y -p llevan listas (como DB_HOST y DB_PORT) y las opciones
    # de libpq (target_session_attrs...) van con la base, en forma de cadena de conexión.
    base = configuracion.base
    if configuracion.opciones:
        base = make_dsn(dbname=base, **configuracion.opciones)
    argumentos = [
        psql,
        "-h",
        configuracion.host or "localhost",
        "-p",
        str(configuracion.parametros_conexion()["port"]),
        "-U",
        configuracion.usuario,
        "-d",
        base,
    ]
    return argumentos, entorno, configuracion.destino()
