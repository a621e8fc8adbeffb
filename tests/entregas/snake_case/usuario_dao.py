import hashlib
import os

from cursor_del_pool import CursorDelPool
from Usuario import Usuario


def cifrar(password):
    sal = os.urandom(8).hex()
    return sal + '$' + hashlib.sha256((sal + password).encode()).hexdigest()[:32]


class UsuarioDAO:
    SELECCIONAR = 'SELECT id_usuario, username, password FROM usuario ORDER BY id_usuario'
    INSERTAR = 'INSERT INTO usuario (username, password) VALUES (%s, %s)'
    ACTUALIZAR = 'UPDATE usuario SET username = %s, password = %s WHERE id_usuario = %s'
    ELIMINAR = 'DELETE FROM usuario WHERE id_usuario = %s'

    @classmethod
    def seleccionar(cls):
        with CursorDelPool() as cursor:
            cursor.execute(cls.SELECCIONAR)
            return [Usuario(*fila) for fila in cursor.fetchall()]

    @classmethod
    def insertar(cls, usuario):
        with CursorDelPool() as cursor:
            cursor.execute(cls.INSERTAR, (usuario.username, cifrar(usuario.password)))
            return cursor.rowcount

    @classmethod
    def actualizar(cls, usuario):
        with CursorDelPool() as cursor:
            cursor.execute(
                cls.ACTUALIZAR, (usuario.username, cifrar(usuario.password), usuario.id_usuario)
            )
            return cursor.rowcount

    @classmethod
    def eliminar(cls, usuario):
        with CursorDelPool() as cursor:
            cursor.execute(cls.ELIMINAR, (usuario.id_usuario,))
            return cursor.rowcount
