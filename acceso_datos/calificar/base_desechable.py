"""Una base y un rol de PostgreSQL para cada entrega, creados para ella y borrados después.

El rol no es superusuario ni puede crear bases ni roles: es el dueño de su base y nada más.
Sus sentencias tienen límite de tiempo (una espera a un candado que nunca se suelta acaba
en error, no en un cuelgue), y su contraseña, aleatoria, no es la del profesor.
"""

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg2
from psycopg2 import sql

from acceso_datos.configuracion import Configuracion

ESQUEMA = Path(__file__).with_name("esquema_entrega.sql")
PREFIJO = "calificar_"  # de los roles y las bases: los tests comprueban que no queda ninguno
# Conexiones a la vez del rol: las del pool de la entrega más las del calificador, con margen.
LIMITE_DE_CONEXIONES = 40
AJUSTES_DEL_ROL = {
    "statement_timeout": "15s",
    "lock_timeout": "5s",
    "idle_in_transaction_session_timeout": "60s",
}


class BaseNoDisponible(Exception):
    """No se pudo preparar la base de una entrega; el mensaje dice por qué y qué hacer."""


@contextmanager
def base_desechable(administracion: Configuracion) -> Iterator[dict[str, Any]]:
    """Crea un rol y su base con las tablas del curso; al salir, borra los dos.

    Devuelve los parámetros de conexión de ese rol (para `psycopg2.connect`)."""
    nombre = f"{PREFIJO}{secrets.token_hex(5)}"
    creados: list[sql.Composable] = []
    try:
        parametros = _crear(administracion, nombre, creados)
    except psycopg2.Error as error:
        _borrar(administracion, creados)
        raise BaseNoDisponible(
            f"No se pudo preparar la base desechable de la entrega en "
            f"{administracion.nombres_de_servidores()} ({_motivo(error, administracion)}). "
            f"El usuario '{administracion.usuario}' necesita poder crear roles y bases "
            "(CREATEROLE y CREATEDB)."
        ) from error
    try:
        yield parametros
    finally:
        _borrar(administracion, creados)


def _crear(
    administracion: Configuracion, nombre: str, creados: list[sql.Composable]
) -> dict[str, Any]:
    """Crea el rol, su base y sus tablas; anota en `creados` cómo borrar cada cosa."""
    password = secrets.token_urlsafe(18)
    with _administrar(administracion) as cursor:
        # Sin NOINHERIT: en PostgreSQL 15, el dueño de la base solo puede crear en su esquema
        # public heredando de pg_database_owner.
        cursor.execute(
            sql.SQL(
                "CREATE ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE "
                "CONNECTION LIMIT {} PASSWORD {}"
            ).format(
                sql.Identifier(nombre), sql.Literal(LIMITE_DE_CONEXIONES), sql.Literal(password)
            )
        )
        creados.append(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(nombre)))
        for ajuste, valor in AJUSTES_DEL_ROL.items():
            cursor.execute(
                sql.SQL("ALTER ROLE {} SET {} = {}").format(
                    sql.Identifier(nombre), sql.Identifier(ajuste), sql.Literal(valor)
                )
            )
        cursor.execute(
            sql.SQL("CREATE DATABASE {} OWNER {}").format(
                sql.Identifier(nombre), sql.Identifier(nombre)
            )
        )
        creados.insert(
            0, sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(nombre))
        )
    # Las opciones de la URL del profesor (sslmode...) valen también para la entrega.
    parametros: dict[str, Any] = dict(administracion.opciones)
    parametros.update(
        host=administracion.host,  # None: el socket por defecto de libpq
        dbname=nombre,
        user=nombre,
        password=password,
        port=administracion.puerto,
    )
    conexion = psycopg2.connect(connect_timeout=10, **parametros)
    try:
        with conexion, conexion.cursor() as cursor:
            cursor.execute(ESQUEMA.read_text(encoding="utf-8"))
    finally:
        conexion.close()
    return parametros


def _borrar(administracion: Configuracion, creados: list[sql.Composable]) -> None:
    """Borra la base y el rol de la entrega (la base primero: el rol es su dueño)."""
    if not creados:
        return
    try:
        with _administrar(administracion) as cursor:
            for borrar in creados:
                cursor.execute(borrar)
    except psycopg2.Error as error:  # pragma: no cover (el servidor cayó mientras se calificaba)
        raise BaseNoDisponible(
            f"No se pudo borrar la base desechable de una entrega "
            f"({_motivo(error, administracion)}): quedan una base y un rol que empiezan por "
            f"{PREFIJO}; bórrelos con DROP DATABASE y DROP ROLE."
        ) from error


@contextmanager
def _administrar(administracion: Configuracion) -> Iterator[Any]:
    """Un cursor en autocommit sobre la base `postgres` (CREATE DATABASE no va en transacción)."""
    conexion = psycopg2.connect(**administracion.con(base="postgres").parametros_conexion())
    try:
        conexion.autocommit = True
        with conexion.cursor() as cursor:
            yield cursor
    finally:
        conexion.close()


def _motivo(error: psycopg2.Error, administracion: Configuracion) -> str:
    primera = (str(error).strip().splitlines() or [type(error).__name__])[0]
    return administracion.tapar_password(primera)
