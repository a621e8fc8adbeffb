"""`UsuarioDAO`: altas, bajas, cambios y consultas de la tabla `usuario`.

Cada método pide la conexión con `CursorDelPool`, así que siempre la devuelve. Con el
argumento `cursor=` el método trabaja dentro de la transacción de quien llama (un
`with CursorDelPool() as cursor:` suyo) y no confirma ni deshace nada: varias llamadas
quedan en una sola transacción, todo o nada.
"""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg2
from psycopg2 import errors
from psycopg2.extensions import cursor as Cursor

from acceso_datos.cursor_del_pool import CursorDelPool
from acceso_datos.errores import ConexionError, DatosInvalidosError, RegistroDuplicadoError
from acceso_datos.seguridad import (
    generar_hash,
    necesita_rehash,
    simular_verificacion,
    verificar_password,
)
from acceso_datos.usuario import Usuario, validar_password, validar_username

MAX_ID = 2**31 - 1  # id_usuario es SERIAL (integer de 4 bytes)
MAX_BIGINT = 2**63 - 1


class UsuarioDAO:
    """Acceso a datos de `Usuario`. Solo parámetros %s: nunca se formatea SQL con valores."""

    _SELECCIONAR = "SELECT id_usuario, username FROM usuario ORDER BY id_usuario"
    _SELECCIONAR_PAGINA = (
        "SELECT id_usuario, username FROM usuario ORDER BY id_usuario LIMIT %s OFFSET %s"
    )
    _BUSCAR_POR_ID = "SELECT id_usuario, username FROM usuario WHERE id_usuario = %s"
    _BUSCAR_POR_USERNAME = "SELECT id_usuario, username FROM usuario WHERE username = %s"
    _BUSCAR_CREDENCIALES = "SELECT id_usuario, username, password FROM usuario WHERE username = %s"
    _CONTAR = "SELECT count(*) FROM usuario"
    _INSERTAR = "INSERT INTO usuario (username, password) VALUES (%s, %s) RETURNING id_usuario"
    _ACTUALIZAR = "UPDATE usuario SET username = %s WHERE id_usuario = %s"
    _ACTUALIZAR_CON_PASSWORD = (
        "UPDATE usuario SET username = %s, password = %s WHERE id_usuario = %s"
    )
    _ELIMINAR = "DELETE FROM usuario WHERE id_usuario = %s"
    # Solo si el hash sigue siendo el leído: no pisa un cambio de contraseña hecho entretanto.
    _MEJORAR_HASH = "UPDATE usuario SET password = %s WHERE id_usuario = %s AND password = %s"

    @classmethod
    def seleccionar(cls, *, cursor: Cursor | None = None) -> list[Usuario]:
        """Todos los usuarios, ordenados por id."""
        with _transaccion(cursor) as cur:
            cur.execute(cls._SELECCIONAR)
            return [Usuario(id_usuario, username) for id_usuario, username in cur]

    @classmethod
    def seleccionar_pagina(
        cls, limite: int, desplazamiento: int = 0, *, cursor: Cursor | None = None
    ) -> list[Usuario]:
        """Hasta `limite` usuarios a partir de la posición `desplazamiento`, ordenados por id."""
        _validar_entero("limite", limite, minimo=1, maximo=MAX_BIGINT)
        _validar_entero("desplazamiento", desplazamiento, minimo=0, maximo=MAX_BIGINT)
        with _transaccion(cursor) as cur:
            cur.execute(cls._SELECCIONAR_PAGINA, (limite, desplazamiento))
            return [Usuario(id_usuario, username) for id_usuario, username in cur]

    @classmethod
    def iterar(cls, tamano_lote: int = 1000, *, cursor: Cursor | None = None) -> Iterator[Usuario]:
        """Recorre todos los usuarios por lotes con un cursor del servidor: la memoria no
        crece con la tabla. La conexión vuelve al pool al acabar, al abandonar o si falla."""
        _validar_entero("tamano_lote", tamano_lote, minimo=1, maximo=MAX_ID)
        return cls._recorrer(tamano_lote, cursor)

    @classmethod
    def _recorrer(cls, tamano_lote: int, cursor: Cursor | None) -> Iterator[Usuario]:
        with _transaccion(cursor) as cur:
            # Un cursor con nombre vive en el servidor y entrega `itersize` filas por viaje.
            nombre = f"iterar_usuarios_{uuid.uuid4().hex}"
            with cur.connection.cursor(name=nombre) as en_servidor:
                en_servidor.itersize = tamano_lote
                en_servidor.execute(cls._SELECCIONAR)
                for id_usuario, username in en_servidor:
                    yield Usuario(id_usuario, username)

    @classmethod
    def buscar_por_id(cls, id_usuario: int, *, cursor: Cursor | None = None) -> Usuario | None:
        """El usuario con ese id, o None si no existe."""
        _validar_entero("id_usuario", id_usuario)
        if not 1 <= id_usuario <= MAX_ID:
            return None
        with _transaccion(cursor) as cur:
            cur.execute(cls._BUSCAR_POR_ID, (id_usuario,))
            fila = cur.fetchone()
        return Usuario(*fila) if fila else None

    @classmethod
    def buscar_por_username(cls, username: str, *, cursor: Cursor | None = None) -> Usuario | None:
        """El usuario con ese username (exacto tras normalizarlo), o None si no existe."""
        username = validar_username(username)
        with _transaccion(cursor) as cur:
            cur.execute(cls._BUSCAR_POR_USERNAME, (username,))
            fila = cur.fetchone()
        return Usuario(*fila) if fila else None

    @classmethod
    def contar(cls, *, cursor: Cursor | None = None) -> int:
        """Cuántos usuarios hay."""
        with _transaccion(cursor) as cur:
            cur.execute(cls._CONTAR)
            return cur.fetchone()[0]

    @classmethod
    def insertar(cls, usuario: Usuario, *, cursor: Cursor | None = None) -> int:
        """Inserta el usuario (guarda el hash de su contraseña) y le asigna su id; devuelve 1."""
        username = validar_username(usuario.username)
        # El hash se calcula antes de pedir la conexión: scrypt es lento a propósito y
        # la conexión no debe quedar ociosa mientras tanto.
        hash_password = generar_hash(validar_password(usuario.password))
        with _transaccion(cursor, username) as cur:
            cur.execute(cls._INSERTAR, (username, hash_password))
            nuevo_id = cur.fetchone()[0]
            filas = cur.rowcount
        usuario.id_usuario = nuevo_id
        usuario.username = username  # como quedó guardado: normalizado
        usuario.password = None  # el texto plano ya no hace falta
        return filas

    @classmethod
    def actualizar(cls, usuario: Usuario, *, cursor: Cursor | None = None) -> int:
        """Cambia el username (y la contraseña si `usuario.password` no es None);
        devuelve las filas cambiadas: 0 si el id no existe."""
        _validar_entero("id_usuario", usuario.id_usuario)
        username = validar_username(usuario.username)
        hash_password = None
        if usuario.password is not None:
            hash_password = generar_hash(validar_password(usuario.password))
        if not 1 <= usuario.id_usuario <= MAX_ID:
            return 0
        with _transaccion(cursor, username) as cur:
            if hash_password is None:
                cur.execute(cls._ACTUALIZAR, (username, usuario.id_usuario))
            else:
                cur.execute(
                    cls._ACTUALIZAR_CON_PASSWORD, (username, hash_password, usuario.id_usuario)
                )
            filas = cur.rowcount
        usuario.username = username
        usuario.password = None
        return filas

    @classmethod
    def eliminar(cls, usuario: Usuario, *, cursor: Cursor | None = None) -> int:
        """Borra el usuario por su id; devuelve las filas borradas: 0 si no existía."""
        _validar_entero("id_usuario", usuario.id_usuario)
        if not 1 <= usuario.id_usuario <= MAX_ID:
            return 0
        with _transaccion(cursor) as cur:
            cur.execute(cls._ELIMINAR, (usuario.id_usuario,))
            return cur.rowcount

    @classmethod
    def autenticar(
        cls, username: str, password: str, *, cursor: Cursor | None = None
    ) -> Usuario | None:
        """El usuario si la contraseña corresponde; None si no (o si no existe el usuario).

        Si acierta y su hash es de antes de normalizar la contraseña o de un coste menor que
        el actual, guarda uno nuevo en la misma llamada (como `must_update` en Django).
        """
        if username is None or password is None:
            raise DatosInvalidosError("Para iniciar sesión hacen falta username y password.")
        if not isinstance(username, str) or not isinstance(password, str):
            raise DatosInvalidosError("Para iniciar sesión, username y password deben ser texto.")
        fila = None
        username = _username_buscable(username)
        if username is not None:
            with _transaccion(cursor) as cur:
                cur.execute(cls._BUSCAR_CREDENCIALES, (username,))
                fila = cur.fetchone()
        # La verificación (lenta) va fuera del `with`: la conexión ya volvió al pool.
        if fila is None:
            simular_verificacion(password)
            return None
        id_usuario, nombre, hash_guardado = fila
        if not verificar_password(password, hash_guardado):
            return None
        if necesita_rehash(hash_guardado):
            # El hash nuevo también se calcula sin tener una conexión prestada.
            nuevo_hash = generar_hash(password)
            with _transaccion(cursor) as cur:
                cur.execute(cls._MEJORAR_HASH, (nuevo_hash, id_usuario, hash_guardado))
        return Usuario(id_usuario, nombre)


@contextmanager
def _transaccion(cursor: Cursor | None, username: str | None = None) -> Iterator[Cursor]:
    """El cursor de quien llama, o uno propio con su transacción; traduce los errores."""
    try:
        if cursor is not None:
            yield cursor
        else:
            with CursorDelPool() as propio:
                yield propio
    except errors.UniqueViolation as error:
        raise RegistroDuplicadoError(
            f"Ya existe un usuario con username '{username}'. Elija otro nombre."
        ) from error
    except (psycopg2.OperationalError, psycopg2.InterfaceError) as error:
        if not _es_conexion_perdida(error):
            raise
        raise ConexionError(
            "Se perdió la conexión con PostgreSQL y la operación no se hizo (no quedó nada "
            "a medias). Compruebe que el servidor está en marcha e inténtelo de nuevo."
        ) from error


def _es_conexion_perdida(error: psycopg2.Error) -> bool:
    # Sin código SQLSTATE (socket cerrado) o clases 08 (conexión) y 57P (servidor parado).
    codigo = error.pgcode
    return codigo is None or codigo.startswith(("08", "57P"))


def _username_buscable(username: str) -> str | None:
    """El username normalizado; None si no es válido (y entonces no puede estar en la tabla)."""
    try:
        return validar_username(username)
    except DatosInvalidosError:
        return None


def _validar_entero(campo: str, valor: object, minimo: int | None = None, maximo=None) -> None:
    if valor is None:
        raise DatosInvalidosError(f"El campo {campo} es obligatorio.")
    if isinstance(valor, bool) or not isinstance(valor, int):
        raise DatosInvalidosError(f"El campo {campo} debe ser un número entero.")
    if minimo is not None and valor < minimo:
        raise DatosInvalidosError(f"El campo {campo} debe ser al menos {minimo} (es {valor}).")
    if maximo is not None and valor > maximo:
        raise DatosInvalidosError(f"El campo {campo} no puede pasar de {maximo}.")
