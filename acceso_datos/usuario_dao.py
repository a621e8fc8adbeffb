"""`UsuarioDAO`: altas, bajas, cambios y consultas de la tabla `usuario`.

Los métodos que escriben piden la conexión con `transaccion()` (de `dao_base`), así que
siempre la devuelven; los que solo leen piden sus filas a `consultar()`, que además decide
si leer en una réplica. Con el argumento `cursor=` el método trabaja dentro de la
transacción de quien llama (un `with CursorDelPool() as cursor:` suyo) y no confirma nada:
varias llamadas quedan en una sola transacción, todo o nada. Si una de ellas falla y quien
llama captura el error, lo demás de su transacción sigue en pie (cada llamada va en un
SAVEPOINT).
"""

from collections.abc import Iterator

from psycopg2.extensions import cursor as Cursor

from acceso_datos.dao_base import (
    consultar,
    entero_devuelto,
    recorrer,
    transaccion,
    validar_pagina,
)
from acceso_datos.errores import DatosInvalidosError
from acceso_datos.seguridad import (
    generar_hash,
    necesita_rehash,
    simular_verificacion,
    verificar_password,
)
from acceso_datos.usuario import Usuario, validar_password, validar_username
from acceso_datos.validacion import validar_id


class UsuarioDAO:
    """Acceso a datos de `Usuario`. Solo parámetros %s: nunca se formatea SQL con valores."""

    _ENTIDAD = "un usuario"  # nombra el registro en RegistroDuplicadoError
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
        return [Usuario(*fila) for fila in consultar(cls._SELECCIONAR, cursor=cursor)]

    @classmethod
    def seleccionar_pagina(
        cls, limite: int, desplazamiento: int = 0, *, cursor: Cursor | None = None
    ) -> list[Usuario]:
        """Hasta `limite` usuarios a partir de la posición `desplazamiento`, ordenados por id."""
        pagina = validar_pagina(limite, desplazamiento)
        return [
            Usuario(*fila) for fila in consultar(cls._SELECCIONAR_PAGINA, pagina, cursor=cursor)
        ]

    @classmethod
    def iterar(cls, tamano_lote: int = 1000, *, cursor: Cursor | None = None) -> Iterator[Usuario]:
        """Recorre todos los usuarios por lotes con un cursor del servidor: la memoria no
        crece con la tabla. La conexión vuelve al pool al acabar, al abandonar o si falla."""
        return (Usuario(*fila) for fila in recorrer(cls._SELECCIONAR, tamano_lote, cursor))

    @classmethod
    def buscar_por_id(cls, id_usuario: int, *, cursor: Cursor | None = None) -> Usuario | None:
        """El usuario con ese id, o None si no existe."""
        if validar_id("id_usuario", id_usuario) is None:
            return None
        filas = consultar(cls._BUSCAR_POR_ID, (id_usuario,), cursor=cursor)
        return Usuario(*filas[0]) if filas else None

    @classmethod
    def buscar_por_username(cls, username: str, *, cursor: Cursor | None = None) -> Usuario | None:
        """El usuario con ese username (exacto tras normalizarlo), o None si no existe."""
        username = validar_username(username)
        filas = consultar(cls._BUSCAR_POR_USERNAME, (username,), cursor=cursor)
        return Usuario(*filas[0]) if filas else None

    @classmethod
    def contar(cls, *, cursor: Cursor | None = None) -> int:
        """Cuántos usuarios hay."""
        [(cuantos,)] = consultar(cls._CONTAR, cursor=cursor)
        return int(cuantos)

    @classmethod
    def insertar(cls, usuario: Usuario, *, cursor: Cursor | None = None) -> int:
        """Inserta el usuario (guarda el hash de su contraseña) y le asigna su id; devuelve
        1, las filas insertadas (como el curso)."""
        username = validar_username(usuario.username)
        # El hash se calcula antes de pedir la conexión: scrypt es lento a propósito y
        # la conexión no debe quedar ociosa mientras tanto.
        hash_password = generar_hash(validar_password(usuario.password))
        with transaccion(cursor, cls._ENTIDAD) as cur:
            cur.execute(cls._INSERTAR, (username, hash_password))
            nuevo_id = entero_devuelto(cur)
        usuario.id_usuario = nuevo_id
        usuario.username = username  # como quedó guardado: normalizado
        usuario.password = None  # el texto plano ya no hace falta
        return 1

    @classmethod
    def actualizar(cls, usuario: Usuario, *, cursor: Cursor | None = None) -> int:
        """Cambia el username (y la contraseña si `usuario.password` no es None);
        devuelve las filas cambiadas: 0 si el id no existe."""
        id_usuario = validar_id("id_usuario", usuario.id_usuario)
        username = validar_username(usuario.username)
        hash_password = None
        if usuario.password is not None:
            hash_password = generar_hash(validar_password(usuario.password))
        if id_usuario is None:
            return 0
        with transaccion(cursor, cls._ENTIDAD) as cur:
            if hash_password is None:
                cur.execute(cls._ACTUALIZAR, (username, id_usuario))
            else:
                cur.execute(cls._ACTUALIZAR_CON_PASSWORD, (username, hash_password, id_usuario))
            filas = cur.rowcount
        usuario.username = username
        usuario.password = None
        return filas

    @classmethod
    def eliminar(cls, usuario: Usuario, *, cursor: Cursor | None = None) -> int:
        """Borra el usuario por su id; devuelve las filas borradas: 0 si no existía."""
        id_usuario = validar_id("id_usuario", usuario.id_usuario)
        if id_usuario is None:
            return 0
        with transaccion(cursor) as cur:
            cur.execute(cls._ELIMINAR, (id_usuario,))
            return cur.rowcount

    @classmethod
    def autenticar(
        cls, username: str, password: str, *, cursor: Cursor | None = None
    ) -> Usuario | None:
        """El usuario si la contraseña corresponde; None si no (o si no existe el usuario).

        Si acierta y su hash es de antes de normalizar la contraseña o de un coste menor que
        el actual, guarda uno nuevo en la misma llamada.
        """
        if username is None or password is None:
            raise DatosInvalidosError("Para iniciar sesión hacen falta username y password.")
        if not isinstance(username, str) or not isinstance(password, str):
            raise DatosInvalidosError("Para iniciar sesión, username y password deben ser texto.")
        fila = None
        buscable = _username_buscable(username)
        if buscable is not None:
            # En el primario (no con consultar): un cambio de contraseña o un borrado hecho
            # desde otro proceso vale en el acto, sin esperar a que llegue a las réplicas.
            with transaccion(cursor, solo_lectura=True) as cur:
                cur.execute(cls._BUSCAR_CREDENCIALES, (buscable,))
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
            with transaccion(cursor) as cur:
                cur.execute(cls._MEJORAR_HASH, (nuevo_hash, id_usuario, hash_guardado))
        return Usuario(id_usuario, nombre)


def _username_buscable(username: str) -> str | None:
    """El username normalizado; None si no es válido (y entonces no puede estar en la tabla)."""
    try:
        return validar_username(username)
    except DatosInvalidosError:
        return None
