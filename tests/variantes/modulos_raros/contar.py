from usuario_dao import UsuarioDAO

print(f'Hay {len(UsuarioDAO.seleccionar())} usuarios')
