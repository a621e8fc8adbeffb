from usuario import Usuario
from Usuario_dao import UsuarioDAO

while True:
    print('1-List 2-Add 3-Update 4-Delete 5-Exit')
    try:
        option = input('Option: ')
    except EOFError:
        break
    if not option.isdigit():
        print('Please type a number.')
        continue
    option = int(option)
    try:
        if option == 1:
            for u in UsuarioDAO.select():
                print(u)
        elif option == 2:
            print(UsuarioDAO.insert(Usuario(username=input('Username: '), password=input('Password: '))))
        elif option == 3:
            id_text = input('Id: ')
            if id_text.isdigit():
                print(UsuarioDAO.update(Usuario(int(id_text), input('Username: '), input('Password: '))))
            else:
                print('The id must be a number.')
        elif option == 4:
            id_text = input('Id: ')
            if id_text.isdigit():
                print(UsuarioDAO.delete(Usuario(id_usuario=int(id_text))))
            else:
                print('The id must be a number.')
        elif option == 5:
            break
        else:
            print('Unknown option.')
    except EOFError:
        break
