from laboratorio_usuarios.conexion import Conexion


class CursorDelPool:
    def __enter__(self):
        self._conexion = Conexion.obtenerConexion()
        self._cursor = self._conexion.cursor()
        return self._cursor

    def __exit__(self, tipo, valor, traza):
        try:
            if valor is None:
                self._conexion.commit()
            else:
                self._conexion.rollback()
        finally:
            self._cursor.close()
            Conexion.liberarConexion(self._conexion)
