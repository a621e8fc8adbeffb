from logger_base import log
from Usuario import Usuario
from usuariodao import UsuarioDao


def leer_numero(texto):
    try:
        return int(input(texto))
    except ValueError:
        print('Tiene que ser un número.')
        return None


try:
    opcion = None
    while opcion != 5:
        print('1) Listar  2) Agregar  3) Modificar  4) Eliminar  5) Salir')
        opcion = leer_numero('Opción: ')
        if opcion == 1:
            for usuario in UsuarioDao.seleccionar():
                log.info(usuario)
        elif opcion == 2:
            UsuarioDao.insertar(Usuario(username=input('Username: '), password=input('Password: ')))
        elif opcion == 3:
            id_user = leer_numero('Id: ')
            if id_user is not None:
                UsuarioDao.actualizar(Usuario(id_user, input('Username: '), input('Password: ')))
        elif opcion == 4:
            id_user = leer_numero('Id: ')
            if id_user is not None:
                UsuarioDao.eliminar(Usuario(id_user=id_user))
        elif opcion is not None and opcion != 5:
            print('Esa opción no existe.')
except EOFError:
    print('Hasta luego.')
