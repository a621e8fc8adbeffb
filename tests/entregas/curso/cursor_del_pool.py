from logger_base import log
from conexion import Conexion

class CursorDelPool:
    def __init__(self):
        self.__conexion = None
        self.__cursor = None

    def __enter__(self):
        log.debug('Inicio del metodo with __enter__')
        self.__conexion = Conexion.obtenerConexion()
        self.__cursor = self.__conexion.cursor()
        return self.__cursor

    def __exit__(self, tipo_excepcion, valor_excepcion, detalle_excepcion):
        log.debug('Se ejecuta metodo __exit__')
        if valor_excepcion:
            self.__conexion.rollback()
            log.error(f'Ocurrio una excepcion, se hace rollback: {valor_excepcion} {tipo_excepcion} {detalle_excepcion}')
        else:
            self.__conexion.commit()
            log.debug('Commit de la transaccion')
        self.__cursor.close()
        Conexion.unlockcnn(self.__conexion)

if __name__ == '__main__':
    with CursorDelPool() as cursor:
        log.debug('Dentro del bloque with')
        cursor.execute('SELECT * FROM usuario')
        log.debug(cursor.fetchall())
