from usuario import Usuario
from usuario_dao import UsuarioDAO

while True:
    print('1) Listar 2) Agregar 3) Eliminar 4) Salir')
    try:
        opcion = input('Opción: ')
    except EOFError:
        break
    if opcion == '1':
        for usuario in UsuarioDAO.seleccionar():
            print(usuario.username)
    elif opcion == '2':
        UsuarioDAO.insertar(Usuario(username=input('Username: '), password=input('Password: ')))
    elif opcion == '3':
        texto = input('Id: ')
        if texto.isdigit():
            UsuarioDAO.eliminar(Usuario(int(texto)))
    elif opcion == '4':
        break
    else:
        print('Opción no válida')
