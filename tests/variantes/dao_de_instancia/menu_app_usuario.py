from usuario import Usuario
from usuario_dao import UsuarioDAO


def main():
    dao = UsuarioDAO()
    while True:
        opcion = input('Opción (1-5): ')
        if opcion == '1':
            for fila in dao.seleccionar():
                print(fila)
        elif opcion == '2':
            dao.registrar(Usuario(username=input('Username: '), password=input('Password: ')))
        elif opcion == '5':
            break
        else:
            print('Opción no válida')
