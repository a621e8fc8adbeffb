from cursor_del_pool import CursorDelPool
from logger_base import log
from persona import Persona


class PersonaDAO:
    _SELECCIONAR = 'SELECT * FROM persona ORDER BY id_persona'
    _INSERTAR = 'INSERT INTO persona(nombre, apellido, email) VALUES(%s, %s, %s)'
    _ACTUALIZAR = 'UPDATE persona SET nombre=%s, apellido=%s, email=%s WHERE id_persona=%s'
    _ELIMINAR = 'DELETE FROM persona WHERE id_persona=%s'

    @classmethod
    def seleccionar(cls):
        with CursorDelPool() as cursor:
            cursor.execute(cls._SELECCIONAR)
            return [Persona(*registro) for registro in cursor.fetchall()]

    @classmethod
    def insertar(cls, persona):
        with CursorDelPool() as cursor:
            cursor.execute(cls._INSERTAR, (persona.nombre, persona.apellido, persona.email))
            return cursor.rowcount

    @classmethod
    def actualizar(cls, persona):
        with CursorDelPool() as cursor:
            valores = (persona.nombre, persona.apellido, persona.email, persona.id_persona)
            cursor.execute(cls._ACTUALIZAR, valores)
            return cursor.rowcount

    @classmethod
    def eliminar(cls, persona):
        with CursorDelPool() as cursor:
            cursor.execute(cls._ELIMINAR, (persona.id_persona,))
            return cursor.rowcount


# Prueba rápida que se quedó fuera del if __name__ == '__main__':
persona1 = Persona(1, 'Juan Carlos', 'Juarez', 'jcjuarez@mail.com')
personas_actualizadas = PersonaDAO.actualizar(persona1)
log.debug(f'Personas actualizadas: {personas_actualizadas}')
