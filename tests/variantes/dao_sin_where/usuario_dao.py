from conexion import Conexion
from cursor_del_pool import CursorDelPool
from seguridad import hash_password
from usuario import Usuario


class UsuarioDAO:
    @classmethod
    def seleccionar(cls):
        with CursorDelPool() as cursor:
            cursor.execute('SELECT id_usuario, username, password FROM usuario ORDER BY id_usuario')
            registros = cursor.fetchall()
        return (Usuario(*registro) for registro in registros)

    @classmethod
    def insertar(cls, usuario):
        conexion = Conexion.obtenerConexion()
        cursor = conexion.cursor()
        cursor.execute('INSERT INTO usuario(username, password) VALUES(%s, %s)',
                       (usuario.username, hash_password(usuario.password)))
        return cursor.rowcount

    @classmethod
    def actualizar(cls, usuario):
        with CursorDelPool() as cursor:
            cursor.execute('UPDATE usuario SET username=%s, password=%s WHERE id_usuario=%s',
                           (usuario.username, hash_password(usuario.password), usuario.id_usuario))
            return cursor.rowcount

    @classmethod
    def eliminar(cls, usuario):
        with CursorDelPool() as cursor:
            cursor.execute('DELETE FROM usuario')
            return cursor.rowcount
