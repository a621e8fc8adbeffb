"""Las piezas que comparten todos los DAO: la transacción, las lecturas y los errores.

Cada DAO guarda solo su SQL (constantes con nombre) y cómo convertir una fila en su
entidad. Lo demás está aquí, igual para todos: pedir la conexión o unirse a la
transacción de quien llama (`transaccion`), decidir dónde se lee (el primario o una
réplica: `consultar`), convertir los errores de psycopg2 en los de `errores.py` (por el
código de error de PostgreSQL, el SQLSTATE, no por el texto) y recorrer una consulta por
lotes.
"""

import itertools
import re
import uuid
from collections.abc import Generator, Iterator, Sequence
from contextlib import AbstractContextManager, closing, contextmanager
from typing import Any

import psycopg2
from psycopg2 import errors, sql
from psycopg2.extensions import Diagnostics
from psycopg2.extensions import cursor as Cursor

from acceso_datos.conexion import Conexion
from acceso_datos.cursor_del_pool import CursorDelPool
from acceso_datos.errores import (
    ConexionError,
    DatosInvalidosError,
    ErrorAccesoDatos,
    RegistroDuplicadoError,
    ReplicaNoDisponibleError,
    es_conexion_perdida,
)
from acceso_datos.logger_base import log
from acceso_datos.replicas import (
    anotar_escritura,
    anotar_escritura_dudosa,
    anotar_escritura_unida,
    replicas_de,
)
from acceso_datos.validacion import MAX_BIGINT, MAX_SERIAL, etiqueta, validar_entero

_CONEXION_PERDIDA = (
    "Se perdió la conexión con PostgreSQL y la operación no se hizo (no quedó nada "
    "a medias). Compruebe que el servidor está en marcha e inténtelo de nuevo."
)

# El detalle de una clave duplicada es «Key (email)=(ana@x.es) already exists.» (o su
# traducción, según lc_messages): lo que va entre los paréntesis no se traduce.
_CLAVE_DUPLICADA = re.compile(r"\((?P<campo>.*?)\)=\((?P<valor>.*)\)", re.DOTALL)

# Cada SAVEPOINT lleva su propio nombre (ver _punto_de_guardado).
_numero_de_punto = itertools.count(1)


def consultar(
    consulta: str, parametros: Sequence[Any] | None = None, *, cursor: Cursor | None = None
) -> list[tuple[Any, ...]]:
    """Las filas de una consulta que solo lee: la usan los métodos de los DAO que leen (los
    que escriben usan `transaccion()`). Dónde se lee, la regla entera:

    - con `cursor=`, en la transacción de quien llama, dentro de un SAVEPOINT;
    - sola, con réplicas (DB_REPLICAS), en una réplica al día: que ya aplicó lo que escribió
      este proceso y no va más atrasada que DB_REPLICAS_RETRASO_MAX (ver `replicas.py`);
    - si no hay réplicas, ninguna está al día o la réplica falla, en el primario, sin error.
    """
    try:
        if cursor is not None:
            with _punto_de_guardado(cursor):
                return _filas(cursor, consulta, parametros)
        primario = Conexion.obtener_pool()
        replicas = replicas_de(primario)
        if replicas is not None:
            try:
                with replicas.cursor() as en_replica:
                    return _filas(en_replica, consulta, parametros)
            except ReplicaNoDisponibleError:
                pass  # se lee en el primario
        with CursorDelPool(pool=primario, solo_lectura=True) as propio:
            return _filas(propio, consulta, parametros)
    except psycopg2.Error as error:
        traducido = traducir_error(error)
        if traducido is None:
            raise
        raise traducido from error


@contextmanager
def transaccion(
    cursor: Cursor | None = None, entidad: str = "un registro", *, solo_lectura: bool = False
) -> Iterator[Cursor]:
    """El cursor para las sentencias de una llamada de un DAO que escribe (o, con
    `solo_lectura`, que lee en el primario y nada más: ver `CursorDelPool`).

    Sin `cursor`, abre su propia transacción en el primario con `CursorDelPool`: commit si
    todo va bien, rollback si no; con réplicas, tras el commit anota hasta dónde ha escrito
    el primario, para que las lecturas que sigan en una réplica lo vean (ver `replicas.py`). Con el
    cursor de quien llama, se une a su transacción dentro de un SAVEPOINT: si la llamada
    falla, se deshace solo lo suyo y la transacción de fuera sigue utilizable. Los errores
    de psycopg2 salen traducidos (ver `traducir_error`); `entidad` («un usuario», «una
    persona») da nombre al registro duplicado.
    """
    try:
        if cursor is not None:
            with _punto_de_guardado(cursor):
                yield cursor
            # Con réplicas: la posición de esta escritura se mira al terminar la de fuera.
            anotar_escritura_unida(cursor)
            return
        primario = Conexion.obtener_pool()
        try:
            with CursorDelPool(pool=primario, solo_lectura=solo_lectura) as propio:
                yield propio
        except BaseException as error:
            anotar_escritura_dudosa(error)  # un commit en duda pudo guardarse
            raise
        if primario.configuracion.replicas is not None and not solo_lectura:
            anotar_escritura(primario)
    except psycopg2.Error as error:
        traducido = traducir_error(error, entidad)
        if traducido is None:
            raise
        raise traducido from error


def traducir_error(error: psycopg2.Error, entidad: str = "un registro") -> ErrorAccesoDatos | None:
    """La excepción propia que corresponde a un error de psycopg2, o None si no hay
    ninguna (un fallo de programación, como una columna que no existe, sigue tal cual)."""
    if isinstance(error, psycopg2.OperationalError | psycopg2.InterfaceError):
        return ConexionError(_CONEXION_PERDIDA) if es_conexion_perdida(error) else None
    # Del detalle del servidor (message_detail) solo se usa el de la clave duplicada: en los
    # demás errores trae la fila entera, hash de la contraseña incluido.
    diagnostico = error.diag
    if isinstance(error, errors.UniqueViolation):
        return _duplicado(diagnostico, entidad)
    if isinstance(error, errors.NotNullViolation):
        # PostgreSQL siempre nombra la columna de un NOT NULL; el tipo admite que no lo haga.
        columna = etiqueta(diagnostico.column_name or "sin nombre")
        return DatosInvalidosError(f"El campo {columna} es obligatorio.")
    if isinstance(error, errors.CheckViolation):
        return DatosInvalidosError(
            f"Los datos no cumplen la regla {diagnostico.constraint_name} de la tabla "
            f"{diagnostico.table_name}. Revise los valores."
        )
    primario = diagnostico.message_primary
    if isinstance(error, errors.StringDataRightTruncation):
        return DatosInvalidosError(f"Un texto no cabe en su columna ({primario}).")
    if isinstance(error, errors.NumericValueOutOfRange):
        return DatosInvalidosError(f"Un número no cabe en su columna ({primario}).")
    # El resto de las clases 22 (dato no válido) y 23 (restricción): también son datos.
    if error.pgcode and error.pgcode.startswith(("22", "23")):
        return DatosInvalidosError(f"La base de datos rechazó un dato ({primario}).")
    return None


def recorrer(
    consulta: str, tamano_lote: int, cursor: Cursor | None = None
) -> Iterator[tuple[Any, ...]]:
    """Las filas de `consulta`, pedidas al servidor de `tamano_lote` en `tamano_lote`: la
    memoria no crece con la tabla. Valida `tamano_lote` al llamarla; la conexión se pide
    al empezar a recorrer y vuelve al pool al acabar, al abandonar o si algo falla. Es una
    lectura: va donde diga la regla de `consultar` (si la réplica falla con filas ya
    entregadas, ya no se puede repetir en el primario: ReplicaNoDisponibleError)."""
    validar_entero("tamano_lote", tamano_lote, minimo=1, maximo=MAX_SERIAL)
    return _filas_por_lotes(consulta, tamano_lote, cursor)


def entero_devuelto(cursor: Cursor) -> int:
    """El entero de la fila que acaba de devolver `cursor`: un COUNT(*) o el id de un
    INSERT ... RETURNING, sentencias que devuelven siempre una fila."""
    fila = cursor.fetchone()
    assert fila is not None, "la sentencia no devolvió la fila que devuelve siempre"
    return int(fila[0])


def validar_pagina(limite: object, desplazamiento: object) -> tuple[int, int]:
    """`limite` y `desplazamiento` de una página, comprobados; DatosInvalidosError si no."""
    return (
        validar_entero("limite", limite, minimo=1, maximo=MAX_BIGINT),
        validar_entero("desplazamiento", desplazamiento, minimo=0, maximo=MAX_BIGINT),
    )


def _filas(
    cursor: Cursor, consulta: str, parametros: Sequence[Any] | None
) -> list[tuple[Any, ...]]:
    cursor.execute(consulta, parametros)
    return cursor.fetchall()


def _filas_por_lotes(
    consulta: str, tamano_lote: int, cursor: Cursor | None
) -> Iterator[tuple[Any, ...]]:
    # Las mismas tres salidas que en consultar().
    try:
        if cursor is not None:
            yield from _por_lotes(_punto_de_guardado(cursor), consulta, tamano_lote)
            return
        primario = Conexion.obtener_pool()
        replicas = replicas_de(primario)
        if replicas is not None:
            en_replica = replicas.cursor(transaccion=True)
            with closing(_por_lotes(en_replica, consulta, tamano_lote)) as lotes:
                try:
                    # Hasta la primera fila, lo que falle se repite en el primario.
                    primera = next(lotes, None)
                except ReplicaNoDisponibleError:
                    pass
                else:
                    if primera is not None:
                        yield primera
                        yield from lotes
                    return
        yield from _por_lotes(
            CursorDelPool(pool=primario, solo_lectura=True), consulta, tamano_lote
        )
    except psycopg2.Error as error:
        traducido = traducir_error(error)
        if traducido is None:
            raise
        raise traducido from error


def _por_lotes(
    transaccion: AbstractContextManager[Cursor], consulta: str, tamano_lote: int
) -> Generator[tuple[Any, ...], None, None]:
    # Un cursor con nombre vive en el servidor y entrega `itersize` filas por viaje.
    nombre = f"recorrer_{uuid.uuid4().hex}"
    with transaccion as cur, cur.connection.cursor(name=nombre) as en_servidor:
        en_servidor.itersize = tamano_lote
        en_servidor.execute(consulta)
        yield from en_servidor


@contextmanager
def _punto_de_guardado(cursor: Cursor) -> Iterator[Cursor]:
    # Un nombre por llamada: un iterar() a medio recorrer y otra llamada pueden tener su
    # SAVEPOINT abierto a la vez en la misma transacción.
    nombre = sql.Identifier(f"dao_{next(_numero_de_punto)}")
    cursor.execute(sql.SQL("SAVEPOINT {}").format(nombre))
    try:
        yield cursor
    except BaseException:
        try:
            cursor.execute(sql.SQL("ROLLBACK TO SAVEPOINT {}").format(nombre))
            cursor.execute(sql.SQL("RELEASE SAVEPOINT {}").format(nombre))
        except psycopg2.Error:
            # Conexión perdida o cursor ya cerrado: el error original es el que importa.
            log.debug("No se pudo volver al SAVEPOINT %s", nombre.string, exc_info=True)
        raise
    cursor.execute(sql.SQL("RELEASE SAVEPOINT {}").format(nombre))


def _duplicado(diagnostico: Diagnostics, entidad: str) -> RegistroDuplicadoError:
    clave = _CLAVE_DUPLICADA.search(diagnostico.message_detail or "")
    if clave is None:
        # Sin permiso para ver la fila, el servidor no manda el detalle: queda la restricción.
        return RegistroDuplicadoError(
            f"Ya existe {entidad} con ese valor (restricción {diagnostico.constraint_name})."
        )
    campo, valor = clave["campo"], clave["valor"]
    nombre = etiqueta(campo)
    return RegistroDuplicadoError(
        f"Ya existe {entidad} con {nombre} '{valor}'. Elija otro {nombre}.", campo, valor
    )
