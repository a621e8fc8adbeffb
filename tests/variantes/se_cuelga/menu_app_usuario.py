import sys

from usuario import Usuario
from usuario_dao import UsuarioDAO

print('1) Listar 2) Agregar 5) Salir')
while True:
    linea = sys.stdin.readline().strip()
    if linea == '1':
        print(UsuarioDAO.seleccionar())
    elif linea == '2':
        UsuarioDAO.insertar(Usuario(username=input('Username: '), password=input('Password: ')))
    elif linea == '5':
        break
