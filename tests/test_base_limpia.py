"""La fixture `base_limpia` de conftest.py: cada test empieza con todas las tablas vacías,
también la de un DAO recién añadido, sin tocar conftest.py; esquema_version no se vacía."""

import pytest

from acceso_datos.cursor_del_pool import CursorDelPool
from acceso_datos.esquema import crear_esquema


def _contar(tabla: str) -> int:
    with CursorDelPool() as cursor:
        cursor.execute(f"SELECT count(*) FROM {tabla}")  # nombres fijos de este archivo
        return cursor.fetchone()[0]


@pytest.fixture
def base_sucia(servidor_de_pruebas):
    """Antes de base_limpia: una fila en usuario y en persona, y una tabla nueva con otra,
    como la que deja un test de un DAO recién añadido."""
    crear_esquema()
    with CursorDelPool() as cursor:
        cursor.execute("CREATE TABLE tabla_nueva (id SERIAL PRIMARY KEY, nombre TEXT)")
        cursor.execute("INSERT INTO tabla_nueva (nombre) VALUES ('queda de otro test')")
        cursor.execute("INSERT INTO usuario (username, password) VALUES ('ana', 'hash')")
        cursor.execute("INSERT INTO persona (nombre, apellido, email) VALUES ('A', 'B', 'a@b')")
    yield
    with CursorDelPool() as cursor:
        cursor.execute("DROP TABLE tabla_nueva")


def test_base_limpia_vacia_cada_tabla_del_esquema_salvo_esquema_version(base_sucia, base_limpia):
    assert [_contar(tabla) for tabla in ("usuario", "persona", "tabla_nueva")] == [0, 0, 0]
    assert _contar("esquema_version") >= 2
    with CursorDelPool() as cursor:  # y los ids vuelven a empezar
        cursor.execute("INSERT INTO tabla_nueva (nombre) VALUES ('primera') RETURNING id")
        assert cursor.fetchone() == (1,)
