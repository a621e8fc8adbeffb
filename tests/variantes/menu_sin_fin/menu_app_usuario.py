from logger_base import log
from usuario import Usuario
from usuario_dao import UsuarioDAO

while True:
    print('Opciones:')
    print('1. Listar usuarios')
    print('2. Agregar usuario')
    print('3. Modificar usuario')
    print('4. Eliminar usuario')
    print('5. Salir')
    try:
        opcion = int(input('Escribe tu opción (1-5): '))
    except:
        print('Opción inválida, intenta de nuevo.')
        continue
    try:
        if opcion == 1:
            for usuario in UsuarioDAO.seleccionar():
                print(usuario)
        elif opcion == 2:
            usuario = Usuario(username=input('Username: '), password=input('Password: '))
            print(f'Usuarios insertados: {UsuarioDAO.insertar(usuario)}')
        elif opcion == 3:
            usuario = Usuario(int(input('Id: ')), input('Username: '), input('Password: '))
            print(f'Usuarios actualizados: {UsuarioDAO.actualizar(usuario)}')
        elif opcion == 4:
            usuario = Usuario(id_usuario=int(input('Id: ')))
            print(f'Usuarios eliminados: {UsuarioDAO.eliminar(usuario)}')
        elif opcion == 5:
            print('Salimos de la aplicación.')
            break
        else:
            print('Esa opción no existe.')
    except:
        print('Ocurrió un error, intenta de nuevo.')
