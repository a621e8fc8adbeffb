"""`crear_esquema()`: crea la tabla usuario tal como la fija la issue y repetirlo no cambia nada."""

import psycopg2
import pytest

from acceso_datos.cursor_del_pool import CursorDelPool
from acceso_datos.esquema import crear_esquema

pytestmark = pytest.mark.usefixtures("base_limpia")

_COLUMNAS = """
    SELECT column_name, data_type, character_maximum_length, is_nullable, column_default
    FROM information_schema.columns
    WHERE table_schema = current_schema() AND table_name = 'usuario'
    ORDER BY ordinal_position
"""

_RESTRICCIONES = """
    SELECT c.contype, array_agg(a.attname::text ORDER BY a.attname)
    FROM pg_constraint c
    JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)
    WHERE c.conrelid = 'usuario'::regclass AND c.contype IN ('p', 'u')
    GROUP BY c.conname, c.contype
    ORDER BY c.contype
"""


def _consultar(consulta: str) -> list[tuple]:
    with CursorDelPool() as cursor:
        cursor.execute(consulta)
        return cursor.fetchall()


def _insertar(username: str) -> None:
    with CursorDelPool() as cursor:
        cursor.execute(
            "INSERT INTO usuario (username, password) VALUES (%s, %s)", (username, "hash")
        )


def test_crea_la_tabla_usuario_con_las_columnas_de_la_issue():
    with CursorDelPool() as cursor:
        cursor.execute("DROP TABLE usuario")

    crear_esquema()

    columnas = _consultar(_COLUMNAS)
    assert [fila[:4] for fila in columnas] == [
        ("id_usuario", "integer", None, "NO"),
        ("username", "character varying", 50, "NO"),
        ("password", "character varying", 255, "NO"),
    ]
    # SERIAL: el id sale de una secuencia propia de la columna.
    assert columnas[0][4].startswith("nextval('usuario_id_usuario_seq'")
    assert _consultar(_RESTRICCIONES) == [("p", ["id_usuario"]), ("u", ["username"])]


def test_aplicar_el_esquema_dos_veces_no_cambia_la_tabla_ni_borra_datos():
    crear_esquema()
    columnas_antes = _consultar(_COLUMNAS)
    _insertar("ana")

    crear_esquema()
    crear_esquema()

    assert _consultar(_COLUMNAS) == columnas_antes
    assert _consultar("SELECT id_usuario, username FROM usuario") == [(1, "ana")]


def test_el_username_es_unico_y_el_id_lo_pone_la_base():
    _insertar("ana")
    _insertar("luis")

    with pytest.raises(psycopg2.errors.UniqueViolation):
        _insertar("ana")
    assert _consultar("SELECT id_usuario, username FROM usuario ORDER BY 1") == [
        (1, "ana"),
        (2, "luis"),
    ]


def test_username_y_password_no_admiten_nulos():
    with pytest.raises(psycopg2.errors.NotNullViolation), CursorDelPool() as cursor:
        cursor.execute("INSERT INTO usuario (username) VALUES ('sin_clave')")
    with pytest.raises(psycopg2.errors.NotNullViolation), CursorDelPool() as cursor:
        cursor.execute("INSERT INTO usuario (password) VALUES ('hash')")
