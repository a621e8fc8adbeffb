from cursor_del_pool import CursorDelPool
from logger_base import log
from seguridad import hash_password


class UsuarioDAO:
    def __init__(self):
        self.tabla = 'usuario'

    def seleccionar(self):
        with CursorDelPool() as cursor:
            cursor.execute('SELECT id_usuario, username, password FROM usuario ORDER BY id_usuario')
            return cursor.fetchall()

    def registrar(self, usuario):
        with CursorDelPool() as cursor:
            cursor.execute('INSERT INTO usuario(username, password) VALUES(%s, %s)',
                           (usuario.username, hash_password(usuario.password)))
            log.debug(f'Usuario insertado: {usuario}')
            return cursor.rowcount

    def actualizar(self, usuario):
        with CursorDelPool() as cursor:
            cursor.execute('UPDATE usuario SET username=%s, password=%s WHERE username=%s',
                           (usuario.username, hash_password(usuario.password), usuario.username))
            return cursor.rowcount

    def eliminar(self, usuario):
        with CursorDelPool() as cursor:
            cursor.execute('DELETE FROM usuario WHERE id_usuario=%s', (usuario.id_usuario,))
            return cursor.rowcount
