import sys

from usuario_dao import UsuarioDAO

print('1) Listar 5) Salir')
for linea in sys.stdin:
    if linea.strip() == '1':
        for usuario in UsuarioDAO.seleccionar():
            print(usuario)
    elif linea.strip() == '5':
        break
