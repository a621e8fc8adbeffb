import os
import sys
import threading

from psycopg2 import pool

from logger_base import log


class Conexion:
    # Los datos de conexión se leen del entorno: la contraseña no va en el código.
    _DATABASE = os.environ.get('DB_NAME', 'test_db')
    _USERNAME = os.environ.get('DB_USER', 'postgres')
    _PASSWORD = os.environ.get('DB_PASSWORD')
    _DB_PORT = os.environ.get('DB_PORT', '5432')
    _HOST = os.environ.get('DB_HOST', '127.0.0.1')
    _MIN_CON = 1
    _MAX_CON = 5
    _pool = None
    _candado = threading.Lock()

    @classmethod
    def obtenerPool(cls):
        # Con el candado, dos hilos a la vez no crean dos pools.
        with cls._candado:
            if cls._pool is None:
                try:
                    cls._pool = pool.ThreadedConnectionPool(cls._MIN_CON, cls._MAX_CON,
                                                            host=cls._HOST,
                                                            user=cls._USERNAME,
                                                            password=cls._PASSWORD,
                                                            port=cls._DB_PORT,
                                                            database=cls._DATABASE)
                    log.debug(f'Creación del pool exitosa: {cls._pool}')
                except Exception as e:
                    log.critical(f'Error del tipo: {type(e)}: {e}, el código no puede continuar')
                    sys.exit()
            return cls._pool

    @classmethod
    def obtenerConexion(cls):
        conexion = cls.obtenerPool().getconn()
        log.debug(f'Conexión obtenida del pool: {conexion}')
        return conexion

    @classmethod
    def liberarConexion(cls, conexion):
        cls.obtenerPool().putconn(conexion)
        log.debug(f'Regresamos la conexión al pool: {conexion}')

    @classmethod
    def cerrarConexiones(cls):
        with cls._candado:
            if cls._pool is not None:
                cls._pool.closeall()
                cls._pool = None
        log.debug('Se cerraron todas las conexiones del pool')


if __name__ == '__main__':
    conexion1 = Conexion.obtenerConexion()
    Conexion.liberarConexion(conexion1)
    Conexion.cerrarConexiones()
