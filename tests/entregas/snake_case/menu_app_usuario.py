from Usuario import Usuario
from usuario_dao import UsuarioDAO

MENU = '''
1) Listar usuarios
2) Agregar usuario
3) Modificar usuario
4) Eliminar usuario
5) Salir'''


def pedir_numero(pregunta):
    texto = input(pregunta).strip()
    if not texto.isdigit():
        print(f'«{texto}» no es un número.')
        return None
    return int(texto)


def main():
    while True:
        print(MENU)
        try:
            opcion = pedir_numero('Opción: ')
            if opcion == 1:
                for usuario in UsuarioDAO.seleccionar():
                    print(usuario)
            elif opcion == 2:
                usuario = Usuario(username=input('Username: '), password=input('Password: '))
                print(f'Insertados: {UsuarioDAO.insertar(usuario)}')
            elif opcion == 3:
                id_usuario = pedir_numero('Id: ')
                if id_usuario is not None:
                    usuario = Usuario(id_usuario, input('Username: '), input('Password: '))
                    print(f'Actualizados: {UsuarioDAO.actualizar(usuario)}')
            elif opcion == 4:
                id_usuario = pedir_numero('Id: ')
                if id_usuario is not None:
                    print(f'Eliminados: {UsuarioDAO.eliminar(Usuario(id_usuario))}')
            elif opcion == 5:
                break
            elif opcion is not None:
                print('No existe esa opción.')
        except EOFError:
            break
        except Exception as error:
            print(f'Error: {error}')
    print('Adiós.')


if __name__ == '__main__':
    main()
