class Usuario:
    def __init__(self, id_usuario=None, username=None, password=None):
        self.__id_usuario = id_usuario
        self.__username = username
        self.__password = password

    def __str__(self):
        return f'Usuario {self.__id_usuario}: {self.__username}'

    @property
    def id_usuario(self):
        return self.__id_usuario

    @id_usuario.setter
    def id_usuario(self, valor):
        self.__id_usuario = valor

    @property
    def username(self):
        return self.__username

    @username.setter
    def username(self, valor):
        self.__username = valor

    @property
    def password(self):
        return self.__password

    @password.setter
    def password(self, valor):
        self.__password = valor
