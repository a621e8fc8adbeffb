import sys

from laboratorio_usuarios.usuario import Usuario
from laboratorio_usuarios.usuario_dao import UsuarioDAO


def leer_entero(pregunta):
    while True:
        texto = input(pregunta)
        try:
            return int(texto)
        except ValueError:
            print('Escriba un número entero.')


def main():
    while True:
        print('1. Listar\n2. Agregar\n3. Modificar\n4. Eliminar\n5. Salir')
        try:
            opcion = leer_entero('> ')
            if opcion == 1:
                for usuario in UsuarioDAO.seleccionar():
                    print(usuario)
            elif opcion == 2:
                print(UsuarioDAO.insertar(Usuario(None, input('Usuario: '), input('Clave: '))))
            elif opcion == 3:
                usuario = Usuario(leer_entero('Id: '), input('Usuario: '), input('Clave: '))
                print(UsuarioDAO.actualizar(usuario))
            elif opcion == 4:
                print(UsuarioDAO.eliminar(Usuario(leer_entero('Id: '))))
            elif opcion == 5:
                sys.exit(0)
            else:
                print('Opción desconocida.')
        except EOFError:
            print('Fin.')
            sys.exit(0)


main()
