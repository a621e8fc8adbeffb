# Para probar a mano: pide un username y lo busca.
from usuario_dao import UsuarioDAO

buscado = input('Username a buscar: ')
print([u for u in UsuarioDAO.seleccionar() if u.username == buscado])
