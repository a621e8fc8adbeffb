import os
import threading

from dotenv import load_dotenv
from psycopg2 import pool

from logger_base import log

load_dotenv()


class Conexion:
    _pool = None
    _candado = threading.Lock()

    @classmethod
    def obtener_pool(cls):
        with cls._candado:
            if cls._pool is None:
                cls._pool = pool.ThreadedConnectionPool(
                    int(os.getenv('DB_MIN_CON', '1')),
                    int(os.getenv('DB_MAX_CON', '5')),
                    host=os.getenv('DB_HOST', 'localhost'),
                    port=os.getenv('DB_PORT', '5432'),
                    dbname=os.getenv('DB_NAME', 'test_db'),
                    user=os.getenv('DB_USER', 'postgres'),
                    password=os.getenv('DB_PASSWORD'),
                )
                log.debug('pool creado')
            return cls._pool

    @classmethod
    def obtener_conexion(cls):
        return cls.obtener_pool().getconn()

    @classmethod
    def liberar_conexion(cls, conexion):
        cls.obtener_pool().putconn(conexion)

    @classmethod
    def cerrar_conexiones(cls):
        with cls._candado:
            if cls._pool is not None:
                cls._pool.closeall()
                cls._pool = None
