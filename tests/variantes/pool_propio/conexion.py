import os
import threading

import psycopg2

from logger_base import log


class PoolPropio:
    """Un pool hecho a mano: guarda las conexiones libres en una lista."""

    def __init__(self, maximo):
        self.maximo = maximo
        self.libres = []
        self.en_uso = 0
        self.candado = threading.Lock()

    def tomar(self):
        with self.candado:
            if self.libres:
                conexion = self.libres.pop()
            elif self.en_uso < self.maximo:
                conexion = psycopg2.connect(host=os.environ.get('DB_HOST'), dbname='test_db',
                                            user='postgres', password=os.environ.get('DB_PASSWORD'))
            else:
                raise RuntimeError('No quedan conexiones libres')
            self.en_uso += 1
            return conexion

    def devolver(self, conexion):
        with self.candado:
            self.en_uso -= 1
            conexion.rollback()
            self.libres.append(conexion)

    def cerrar(self):
        with self.candado:
            for conexion in self.libres:
                conexion.close()
            self.libres = []


class Conexion:
    _pool = None
    _candado = threading.Lock()

    @classmethod
    def obtenerPool(cls):
        with cls._candado:
            if cls._pool is None:
                cls._pool = PoolPropio(5)
                log.debug('Pool propio creado')
            return cls._pool

    @classmethod
    def obtenerConexion(cls):
        return cls.obtenerPool().tomar()

    @classmethod
    def liberarConexion(cls, conexion):
        cls.obtenerPool().devolver(conexion)

    @classmethod
    def cerrarConexiones(cls):
        cls.obtenerPool().cerrar()
