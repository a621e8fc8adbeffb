"""La base de datos de las medidas: aparte, en el mismo servidor que usa el proyecto.

Las medidas llenan la tabla `usuario` con miles de filas; hacerlo en la base del alumno
mezclaría esas filas con las suyas. Por eso se crea una base `<DB_NAME>_bench` en el
mismo servidor (el embebido o el configurado), se llena y se borra al terminar. Las
medidas que necesitan otros servidores (una réplica, un max_connections pequeño) los
arrancan para sí y los preparan con `preparar_usuarios`.
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from urllib.parse import quote, urlencode

import psycopg2
from psycopg2 import errors, sql
from psycopg2.extensions import cursor as Cursor

from acceso_datos.conexion import Conexion
from acceso_datos.configuracion import Configuracion
from acceso_datos.cursor_del_pool import CursorDelPool
from acceso_datos.errores import ConexionError
from acceso_datos.esquema import crear_esquema
from acceso_datos.fallos_de_conexion import describir_fallo_de_conexion
from acceso_datos.seguridad import generar_hash

SUFIJO = "_bench"


def _administrar(configuracion: Configuracion, orden: sql.Composable) -> None:
    # Desde la base configurada, que existe seguro; CREATE/DROP DATABASE no van en
    # transacción, de ahí el autocommit.
    try:
        conexion = psycopg2.connect(**configuracion.parametros_conexion())
    except psycopg2.OperationalError as error:
        raise ConexionError(describir_fallo_de_conexion(configuracion, error)) from error
    try:
        conexion.autocommit = True
        with conexion.cursor() as cursor:
            cursor.execute(orden)
    finally:
        conexion.close()


@contextmanager
def base_de_medida(configuracion: Configuracion) -> Iterator[Configuracion]:
    """Crea de cero `<base>_bench` en el servidor de `configuracion` y la borra al salir."""
    medida = configuracion.con(base=configuracion.base + SUFIJO)
    nombre = sql.Identifier(medida.base)
    try:
        # Una ejecución interrumpida pudo dejarla: se empieza siempre de cero.
        _administrar(configuracion, sql.SQL("DROP DATABASE IF EXISTS {}").format(nombre))
        _administrar(configuracion, sql.SQL("CREATE DATABASE {}").format(nombre))
    except errors.InsufficientPrivilege as error:
        raise ConexionError(
            f"No se pudo crear la base de medida '{medida.base}': el usuario "
            f"'{configuracion.usuario}' necesita permiso para crear bases (CREATEDB)."
        ) from error
    # FORCE (PostgreSQL 13+) corta las conexiones que una interrupción dejara abiertas.
    borrar = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(nombre)
    try:
        yield medida
    except BaseException:
        # Que un fallo al borrar no tape el error que interrumpió la medida.
        with suppress(psycopg2.Error, ConexionError):
            _administrar(configuracion, borrar)
        raise
    _administrar(configuracion, borrar)


def llenar_usuarios(cursor: Cursor, hasta: int, desde: int = 1) -> None:
    """Inserta los usuarios `desde`..`hasta` con un solo INSERT ... SELECT.

    Todos comparten un hash de verdad: calcular un scrypt por fila tardaría horas.
    """
    cursor.execute(
        "INSERT INTO usuario (id_usuario, username, password) "
        "SELECT i, 'usuario_' || lpad(i::text, 7, '0'), %s "
        "FROM generate_series(%s, %s) AS i",
        (generar_hash("contraseña-de-medida"), desde, hasta),
    )
    cursor.execute(
        "SELECT setval(pg_get_serial_sequence('usuario', 'id_usuario'), %s)", (max(hasta, 1),)
    )


def llenar_personas(cursor: Cursor, cuantas: int) -> None:
    """Inserta las personas 1..`cuantas` con un solo INSERT ... SELECT (la tabla, vacía)."""
    cursor.execute(
        "INSERT INTO persona (id_persona, nombre, apellido, email) "
        "SELECT i, 'Ana', 'Pérez', 'persona_' || i || '@medida.es' "
        "FROM generate_series(1, %s) AS i",
        (cuantas,),
    )
    cursor.execute(
        "SELECT setval(pg_get_serial_sequence('persona', 'id_persona'), %s)", (max(cuantas, 1),)
    )


def url_de(configuracion: Configuracion) -> str:
    """La configuración como DATABASE_URL, para este proceso y los que lance."""
    credenciales = quote(configuracion.usuario, safe="")
    if configuracion.password:
        credenciales += ":" + quote(configuracion.password, safe="")
    # Un socket Unix es una ruta: se codifica. Con varios servidores, host:puerto,host:puerto.
    servidores = ",".join(
        f"{quote(host, safe='')}:{puerto}" for host, puerto in configuracion.servidores()
    )
    if not configuracion.host:
        servidores = f":{configuracion.puerto}"
    url = f"postgresql://{credenciales}@{servidores}/{quote(configuracion.base, safe='')}"
    return f"{url}?{urlencode(dict(configuracion.opciones))}" if configuracion.opciones else url


def preparar_usuarios(configuracion: Configuracion, usuarios: int) -> None:
    """El esquema y `usuarios` usuarios en la base de `configuracion`, con el pool del
    proceso apuntando allí solo mientras tanto (el entorno queda como estaba)."""
    guardado = dict(os.environ)
    Conexion.cerrar_conexiones()
    os.environ["DATABASE_URL"] = url_de(configuracion)
    try:
        crear_esquema()
        with CursorDelPool() as cursor:
            llenar_usuarios(cursor, usuarios)
    finally:
        Conexion.cerrar_conexiones()
        os.environ.clear()
        os.environ.update(guardado)
