import os
import threading

from psycopg2 import pool

from logger_base import log


class Conexion:
    _pool = None
    _candado = threading.Lock()

    @classmethod
    def obtenerConexion(cls):
        # El pool se crea con la primera conexión que se pide.
        with cls._candado:
            if cls._pool is None:
                cls._pool = pool.ThreadedConnectionPool(
                    1, 5, host=os.environ.get('DB_HOST'), password=os.environ.get('DB_PASSWORD'),
                    user='postgres', dbname='test_db')
                log.debug('Pool creado')
        return cls._pool.getconn()

    @classmethod
    def liberarConexion(cls, conexion):
        cls._pool.putconn(conexion)
