from conexion import Conexion
from logger_base import log


class CursorDelPool:
    def __init__(self):
        self._conexion = None
        self._cursor = None

    def __enter__(self):
        log.debug('Inicio del método with __enter__')
        self._conexion = Conexion.obtenerConexion()
        self._cursor = self._conexion.cursor()

    def __exit__(self, tipo_excepcion, valor_excepcion, detalle_excepcion):
        log.debug('Se ejecuta método __exit__')
        # finally: la conexión vuelve al pool aunque falle el commit o el rollback.
        try:
            if valor_excepcion:
                self._conexion.rollback()
                log.error(f'Ocurrió una excepción, se hace rollback: {valor_excepcion}')
            else:
                self._conexion.commit()
                log.debug('Commit de la transacción')
        finally:
            self._cursor.close()
            Conexion.liberarConexion(self._conexion)


if __name__ == '__main__':
    with CursorDelPool() as cursor:
        cursor.execute('SELECT * FROM usuario')
        log.debug(cursor.fetchall())
