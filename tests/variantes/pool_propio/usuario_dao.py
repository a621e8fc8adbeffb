import base64
import sys

from cursor_del_pool import CursorDelPool
from logger_base import log
from usuario import Usuario


def ocultar(password):
    return base64.b64encode(password.encode()).decode()


class UsuarioDAO:
    _SELECCIONAR = 'SELECT id_usuario, username, password FROM usuario ORDER BY id_usuario'
    _INSERTAR = 'INSERT INTO usuario(username, password) VALUES(%s, %s)'
    _ACTUALIZAR = 'UPDATE usuario SET username=%s, password=%s WHERE id_usuario=%s'
    _ELIMINAR = 'DELETE FROM usuario WHERE id_usuario=%s'

    @classmethod
    def seleccionar(cls):
        with CursorDelPool() as cursor:
            cursor.execute(cls._SELECCIONAR)
            return [Usuario(*registro) for registro in cursor.fetchall()]

    @classmethod
    def insertar(cls, usuario):
        try:
            with CursorDelPool() as cursor:
                cursor.execute(cls._INSERTAR, (usuario.username, ocultar(usuario.password)))
                return cursor.rowcount
        except Exception as e:
            log.critical(f'No se pudo insertar, el programa termina: {e}')
            sys.exit(1)

    @classmethod
    def actualizar(cls, usuario):
        with CursorDelPool() as cursor:
            cursor.execute(cls._ACTUALIZAR,
                           (usuario.username, ocultar(usuario.password), usuario.id_usuario))
            return cursor.rowcount == 1

    @classmethod
    def eliminar(cls, usuario):
        with CursorDelPool() as cursor:
            # cursor.execute(cls._ELIMINAR, (usuario.id_usuario,))
            return cursor.rowcount
