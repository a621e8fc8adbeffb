import psycopg2

from cursor_del_pool import CursorDelPool
from seguridad import hash_password
from usuario import Usuario


class UsuarioDAO:
    @classmethod
    def seleccionar(cls):
        with CursorDelPool() as cursor:
            cursor.execute('SELECT id_usuario, username, password FROM usuario ORDER BY id_usuario')
            return [Usuario(*cursor.fetchone())]

    @classmethod
    def insertar(cls, usuario):
        try:
            with CursorDelPool() as cursor:
                cursor.execute('INSERT INTO usuario(username, password) VALUES(%s, %s)',
                               (usuario.username, hash_password(usuario.password)))
                print(f'Usuario insertado: {usuario.username} / {usuario.password}')
                return cursor.rowcount
        except psycopg2.Error as e:
            print(f'No se insertó: {e}')
            return 0

    @classmethod
    def actualizar(cls, usuario):
        with CursorDelPool() as cursor:
            cursor.execute('UPDATE usuario SET username=%s, password=%s WHERE id_usuario=%s',
                           (usuario.username, hash_password(usuario.password), usuario.id_usuario))
            return cursor.rowcount

    @classmethod
    def eliminar(cls, usuario):
        with CursorDelPool() as cursor:
            cursor.execute('DELETE FROM usuario WHERE id_usuario=%s', (usuario.id_usuario,))
            return cursor.rowcount > 0
