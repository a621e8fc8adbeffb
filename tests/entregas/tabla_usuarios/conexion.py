import os
from threading import Lock

from psycopg2.pool import SimpleConnectionPool

from laboratorio_usuarios.logger_base import log


class Conexion:
    __pool = None
    __candado = Lock()

    @classmethod
    def obtenerPool(cls):
        with cls.__candado:
            if cls.__pool is None:
                cls.__pool = SimpleConnectionPool(
                    1, 5, dsn=os.environ.get('DATABASE_URL', 'dbname=usuarios_db'))
                log.info('pool listo')
            return cls.__pool

    @classmethod
    def obtenerConexion(cls):
        # SimpleConnectionPool no es seguro entre hilos: el candado protege cada préstamo.
        with cls.__candado:
            pool = cls.__pool
        pool = pool or cls.obtenerPool()
        with cls.__candado:
            return pool.getconn()

    @classmethod
    def liberarConexion(cls, conexion):
        with cls.__candado:
            cls.__pool.putconn(conexion)

    @classmethod
    def CerrarConexiones(cls):
        with cls.__candado:
            if cls.__pool is not None:
                cls.__pool.closeall()
                cls.__pool = None
