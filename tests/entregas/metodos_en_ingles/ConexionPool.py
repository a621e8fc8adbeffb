import os
import threading

import psycopg2.pool as pool

from logger_base import log


class PoolConexion:
    _DATABASE = os.environ.get('PGDATABASE', 'test_db')
    _USERNAME = os.environ.get('PGUSER', 'postgres')
    _PASSWORD = os.environ.get('PGPASSWORD')
    _HOST = os.environ.get('PGHOST', 'localhost')
    _PORT = os.environ.get('PGPORT', '5432')
    _MIN_CON = 1
    _MAX_CON = 4
    _pool = None
    _lock = threading.Lock()

    @classmethod
    def getPool(cls):
        if cls._pool is None:
            with cls._lock:
                if cls._pool is None:  # otro hilo pudo crearlo mientras esperábamos
                    cls._pool = pool.ThreadedConnectionPool(
                        cls._MIN_CON, cls._MAX_CON, host=cls._HOST, port=cls._PORT,
                        database=cls._DATABASE, user=cls._USERNAME, password=cls._PASSWORD)
                    log.info('Pool creado')
        return cls._pool

    @classmethod
    def getConnection(cls):
        return cls.getPool().getconn()

    @classmethod
    def releaseConnection(cls, connection):
        cls.getPool().putconn(connection)

    @classmethod
    def closeAll(cls):
        if cls._pool is not None:
            cls._pool.closeall()
            cls._pool = None
