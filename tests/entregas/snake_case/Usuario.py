class Usuario:
    def __init__(self, id_usuario=None, username=None, password=None):
        self.id_usuario = id_usuario
        self.username = username
        self.password = password

    def __repr__(self):
        return f'Usuario(id_usuario={self.id_usuario!r}, username={self.username!r})'
