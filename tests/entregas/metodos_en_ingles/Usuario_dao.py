import base64
import hashlib
import os

from cursor_del_pool import CursorDelPool
from usuario import Usuario


def hash_password(password):
    salt = os.urandom(12)
    key = hashlib.scrypt(password.encode(), salt=salt, n=2**12, r=8, p=1, dklen=21)
    return base64.b64encode(salt).decode() + ':' + base64.b64encode(key).decode()


class UsuarioDAO:
    __SELECT = 'SELECT id_usuario, username, password FROM usuario ORDER BY id_usuario'
    __INSERT = 'INSERT INTO usuario (username, password) VALUES (%s, %s)'
    __UPDATE = 'UPDATE usuario SET username = %s, password = %s WHERE id_usuario = %s'
    __DELETE = 'DELETE FROM usuario WHERE id_usuario = %s'

    @staticmethod
    def select():
        with CursorDelPool() as cursor:
            cursor.execute(UsuarioDAO.__SELECT)
            return [Usuario(r[0], r[1], r[2]) for r in cursor.fetchall()]

    @staticmethod
    def insert(user):
        with CursorDelPool() as cursor:
            cursor.execute(UsuarioDAO.__INSERT, (user.username, hash_password(user.password)))
            return cursor.rowcount

    @staticmethod
    def update(user):
        with CursorDelPool() as cursor:
            cursor.execute(UsuarioDAO.__UPDATE,
                           (user.username, hash_password(user.password), user.id_usuario))
            return cursor.rowcount

    @staticmethod
    def delete(user):
        with CursorDelPool() as cursor:
            cursor.execute(UsuarioDAO.__DELETE, (user.id_usuario,))
            return cursor.rowcount
