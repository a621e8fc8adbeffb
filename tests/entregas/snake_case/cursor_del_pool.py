# El archivo se llama Conexion.py; en Windows este import funciona igual.
from conexion import Conexion


class CursorDelPool:
    def __enter__(self):
        self.conexion = Conexion.obtener_conexion()
        self.cursor = self.conexion.cursor()
        return self.cursor

    def __exit__(self, tipo, valor, traza):
        try:
            if tipo is None:
                self.conexion.commit()
            else:
                self.conexion.rollback()
        finally:
            self.cursor.close()
            Conexion.liberar_conexion(self.conexion)
