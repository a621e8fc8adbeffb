import os
import sys
import threading

from psycopg2 import pool

from logger_base import log


class Conexion:
    _DATABASE = os.environ.get('DB_NAME', 'test_db')
    _USERNAME = os.environ.get('DB_USER', 'postgres')
    _PASSWORD = os.environ['DB_PASSWORD'] if 'DB_PASSWORD' in os.environ else None
    _DB_PORT = os.environ.get('DB_PORT', '5432')
    _HOST = os.environ.get('DB_HOST', '127.0.0.1')
    _MIN_CON = 1
    _MAX_CON = 5
    _pool = None
    _cerrojo = threading.RLock()

    @classmethod
    def obtenerPool(cls):
        with cls._cerrojo:
            if cls._pool is None:
                cls._pool = pool.ThreadedConnectionPool(cls._MIN_CON, cls._MAX_CON,
                                                        host=cls._HOST, port=cls._DB_PORT,
                                                        user=cls._USERNAME,
                                                        password=cls._PASSWORD,
                                                        database=cls._DATABASE)
        return cls._pool

    @classmethod
    def obtenerConexion(cls):
        return cls.obtenerPool().getconn()

    @classmethod
    def librearConexion(cls, conexion):
        cls.obtenerPool().putconn(conexion)

    @classmethod
    def cerrarconexiones(cls):
        with cls._cerrojo:
            if cls._pool is not None:
                cls._pool.closeall()
                cls._pool = None


if __name__ == '__main__':
    try:
        Conexion.librearConexion(Conexion.obtenerConexion())
    except Exception as e:
        log.critical(e)
        sys.exit(1)
