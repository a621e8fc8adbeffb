import hashlib
import secrets

from cursor_del_pool import CursorDelPool
from logger_base import log
from Usuario import Usuario


def proteger(password):
    sal = secrets.token_hex(6)
    return f"{sal}${hashlib.pbkdf2_hmac('sha256', password.encode(), sal.encode(), 20_000).hex()[:36]}"


class UsuarioDao:
    _SELECT = 'SELECT * FROM usuario ORDER BY id_usuario'
    _INSERT = 'INSERT INTO usuario(username, password) VALUES (%s, %s)'
    _UPDATE = 'UPDATE usuario SET username = %s, password = %s WHERE id_usuario = %s'
    _DELETE = 'DELETE FROM usuario WHERE id_usuario = %s'

    @classmethod
    def seleccionar(cls):
        with CursorDelPool() as cursor:
            cursor.execute(cls._SELECT)
            return [Usuario(id_user, username, password)
                    for id_user, username, password in cursor.fetchall()]

    @classmethod
    def insertar(cls, usuario):
        with CursorDelPool() as cursor:
            cursor.execute(cls._INSERT, (usuario.username, proteger(usuario.password)))
            log.info(f'Insertado: {usuario}')
            return cursor.rowcount

    @classmethod
    def actualizar(cls, usuario):
        with CursorDelPool() as cursor:
            cursor.execute(cls._UPDATE,
                           (usuario.username, proteger(usuario.password), usuario.id_user))
            return cursor.rowcount

    @classmethod
    def eliminar(cls, usuario):
        with CursorDelPool() as cursor:
            cursor.execute(cls._DELETE, (usuario.id_user,))
            return cursor.rowcount
