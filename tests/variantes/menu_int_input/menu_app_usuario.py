from logger_base import log
from usuario import Usuario
from usuario_dao import UsuarioDAO


def leer_entero(mensaje):
    return int(input(mensaje))


opcion = None
while opcion != 5:
    print('Opciones:')
    print('1. Listar usuarios')
    print('2. Agregar usuario')
    print('3. Modificar usuario')
    print('4. Eliminar usuario')
    print('5. Salir')
    try:
        opcion = leer_entero('Escribe tu opción (1-5): ')
        if opcion == 1:
            for usuario in UsuarioDAO.seleccionar():
                print(usuario)
        elif opcion == 2:
            username = input('Escribe el username: ')
            password = input('Escribe el password: ')
            usuario = Usuario(username=username, password=password)
            print(f'Usuarios insertados: {UsuarioDAO.insertar(usuario)}')
        elif opcion == 3:
            id_usuario = leer_entero('Escribe el id_usuario a modificar: ')
            username = input('Escribe el nuevo username: ')
            password = input('Escribe el nuevo password: ')
            usuario = Usuario(id_usuario, username, password)
            print(f'Usuarios actualizados: {UsuarioDAO.actualizar(usuario)}')
        elif opcion == 4:
            id_usuario = leer_entero('Escribe el id_usuario a eliminar: ')
            usuario = Usuario(id_usuario=id_usuario)
            print(f'Usuarios eliminados: {UsuarioDAO.eliminar(usuario)}')
        elif opcion == 5:
            print('Salimos de la aplicación.')
        else:
            print('Opción no válida: escriba un número del 1 al 5.')
    except EOFError:
        print('\nFin de la entrada: salimos de la aplicación.')
        break
