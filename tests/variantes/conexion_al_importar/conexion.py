import os
import sys

import psycopg2
from psycopg2 import pool

from logger_base import log


class Conexion:
    _PARAMETROS = dict(host=os.environ.get('DB_HOST', '127.0.0.1'), dbname='test_db',
                       user='postgres', password=os.environ.get('DB_PASSWORD'))
    # El pool se crea al cargar la clase: así está listo desde el principio.
    try:
        _pool = pool.SimpleConnectionPool(1, 5, **_PARAMETROS)
    except Exception as e:
        log.critical(f'No hay base de datos: {e}')
        sys.exit(1)

    @classmethod
    def obtenerPool(cls):
        return cls._pool

    @classmethod
    def obtenerConexion(cls):
        try:
            conexion = cls._pool.getconn()
        except pool.PoolError:
            # Si el pool se llena, una conexión directa para no dejar a nadie esperando.
            conexion = psycopg2.connect(**cls._PARAMETROS)
        conexion.autocommit = True
        return conexion

    @classmethod
    def liberarConexion(cls, conexion):
        cls._pool.putconn(conexion)

    @classmethod
    def cerrarConexiones(cls):
        cls._pool.closeall()
