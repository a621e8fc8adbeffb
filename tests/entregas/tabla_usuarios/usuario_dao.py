import hashlib
import os

from laboratorio_usuarios.cursor_del_pool import CursorDelPool
from laboratorio_usuarios.usuario import Usuario


class UsuarioDAO:
    _SELECCIONAR = 'SELECT id_usuario, username, password FROM usuarios ORDER BY id_usuario'
    _INSERTAR = 'INSERT INTO usuarios (username, password) VALUES (%s, %s)'
    _ACTUALIZAR = 'UPDATE usuarios SET username=%s, password=%s WHERE id_usuario=%s'
    _ELIMINAR = 'DELETE FROM usuarios WHERE id_usuario=%s'

    @staticmethod
    def _hash(password):
        sal = os.urandom(6).hex()
        return sal + hashlib.sha256((sal + password).encode()).hexdigest()[:36]

    @classmethod
    def seleccionar(cls):
        with CursorDelPool() as cursor:
            cursor.execute(cls._SELECCIONAR)
            return [Usuario(*fila) for fila in cursor.fetchall()]

    @classmethod
    def insertar(cls, usuario):
        with CursorDelPool() as cursor:
            cursor.execute(cls._INSERTAR, (usuario.username, cls._hash(usuario.password)))
            return cursor.rowcount

    @classmethod
    def actualizar(cls, usuario):
        with CursorDelPool() as cursor:
            cursor.execute(cls._ACTUALIZAR,
                           (usuario.username, cls._hash(usuario.password), usuario.id_usuario))
            return cursor.rowcount

    @classmethod
    def eliminar(cls, usuario):
        with CursorDelPool() as cursor:
            cursor.execute(cls._ELIMINAR, (usuario.id_usuario,))
            return cursor.rowcount
