from conexion import Conexion


class CursorDelPool:
    def __init__(self):
        self.__conn = None
        self.__cursor = None

    def __enter__(self):
        self.__conn = Conexion.obtenerConexion()
        self.__cursor = self.__conn.cursor()
        return self.__cursor

    def __exit__(self, tipo_excepcion, valor_excepcion, detalle_excepcion):
        try:
            if valor_excepcion:
                self.__conn.rollback()
            else:
                self.__conn.commit()
        finally:
            self.__cursor.close()
            Conexion.librearConexion(self.__conn)
