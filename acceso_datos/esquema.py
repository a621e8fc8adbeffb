"""Crea las tablas de la aplicación a partir de `esquema.sql`."""

from pathlib import Path

from acceso_datos.cursor_del_pool import CursorDelPool

ARCHIVO_ESQUEMA = Path(__file__).with_name("esquema.sql")


def crear_esquema() -> None:
    """Aplica `esquema.sql`; como usa IF NOT EXISTS, repetirlo no cambia nada."""
    with CursorDelPool() as cursor:
        # Dos programas que arrancan a la vez no deben crear la tabla a la vez.
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext('acceso_datos.esquema'))")
        cursor.execute(ARCHIVO_ESQUEMA.read_text(encoding="utf-8"))
