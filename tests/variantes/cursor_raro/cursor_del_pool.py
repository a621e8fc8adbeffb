from conexion import Conexion
from logger_base import log


class CursorDelPool:
    def __enter__(self):
        self._conexion = Conexion.obtenerConexion()
        self._cursor = self._conexion.cursor()
        return self._cursor

    def __exit__(self, tipo_excepcion, valor_excepcion, detalle_excepcion):
        try:
            if valor_excepcion:
                self._conexion.rollback()
            else:
                try:
                    self._conexion.commit()
                except Exception as e:
                    log.error(f'No se pudo confirmar la transacción: {e}')
        finally:
            self._cursor.close()
            Conexion.liberarConexion(self._conexion)
