"""Las comprobaciones: su id, qué miden, qué vería quien usa el programa y dónde se hace bien.

Los ids, los tres resultados y su orden son los de la issue 24: los leen las herramientas
del profesor (el CSV y el JSON), así que no cambian.
"""

from dataclasses import dataclass

BIEN = "bien"
MAL = "mal"
NO_APLICA = "no_aplica"
RESULTADOS = (BIEN, MAL, NO_APLICA)


@dataclass(frozen=True)
class Referencia:
    """Dónde hace esto bien este proyecto: un objeto de un módulo y el texto de su línea."""

    modulo: str  # p. ej. "acceso_datos.usuario_dao"
    objeto: str  # p. ej. "UsuarioDAO.insertar"
    texto: str | None = None  # lo que dice la línea; sin él, «def insertar» o «class ...»


@dataclass(frozen=True)
class Comprobacion:
    """Una comprobación: qué mide y qué vería quien usa un programa que la falla."""

    id: str
    titulo: str
    consecuencia: str
    referencia: Referencia


@dataclass(frozen=True)
class Resultado:
    """El veredicto de una comprobación y una línea que dice qué se midió."""

    resultado: str
    detalle: str


_DAO = "acceso_datos.usuario_dao"
_CURSOR = "acceso_datos.cursor_del_pool"
_SALIDA_DEL_WITH = Referencia(_CURSOR, "CursorDelPool.__exit__")

COMPROBACIONES: tuple[Comprobacion, ...] = (
    Comprobacion(
        "crud_seleccionar",
        "seleccionar() devuelve una lista de Usuario con las filas de la tabla",
        "Quien elige «listar usuarios» no ve los usuarios guardados: ve una lista vacía, "
        "algo que no es una lista o una traza de Python.",
        Referencia(_DAO, "UsuarioDAO.seleccionar"),
    ),
    Comprobacion(
        "crud_insertar",
        "insertar() guarda el usuario, devuelve 1 y avisa con una excepción si la base lo rechaza",
        "Quien agrega un usuario no sabe si se guardó: el programa falla, o dice que sí "
        "cuando la base lo rechazó.",
        Referencia(_DAO, "UsuarioDAO.insertar"),
    ),
    Comprobacion(
        "crud_actualizar",
        "actualizar() cambia solo esa fila (con los setters de Usuario) y devuelve 1",
        "Quien modifica un usuario cree que se cambió, pero la tabla sigue igual, cambian "
        "otras filas o el programa se cae.",
        Referencia(_DAO, "UsuarioDAO.actualizar"),
    ),
    Comprobacion(
        "crud_eliminar",
        "eliminar() borra solo esa fila y devuelve 1",
        "Quien elimina un usuario lo sigue viendo en la lista, pierde otros o ve una traza "
        "de Python.",
        Referencia(_DAO, "UsuarioDAO.eliminar"),
    ),
    Comprobacion(
        "devuelve_si_falla_commit",
        "la conexión vuelve al pool cuando falla el commit() al salir del with",
        "Tras unos pocos errores al guardar, el programa se queda sin conexiones y deja de "
        "funcionar hasta reiniciarlo («connection pool exhausted»).",
        _SALIDA_DEL_WITH,
    ),
    Comprobacion(
        "devuelve_si_falla_sql",
        "la conexión vuelve al pool cuando falla una sentencia dentro del with (y en el DAO)",
        "Cada error de SQL se queda con una conexión del pool: tras unos pocos, nada "
        "funciona hasta reiniciar el programa.",
        _SALIDA_DEL_WITH,
    ),
    Comprobacion(
        "rollback_si_error",
        "una excepción dentro del with no deja nada escrito y llega a quien llama",
        "Una operación que falla a medias deja datos guardados a medias, o el error no se "
        "ve y quien usa el programa cree que todo fue bien.",
        _SALIDA_DEL_WITH,
    ),
    Comprobacion(
        "pool_entre_hilos",
        "seis hilos que piden el pool a la vez reciben un solo pool",
        "Con varios hilos a la vez, el programa abre varios pools y más conexiones de las "
        "configuradas: el servidor puede rechazarlas y algunas nunca se cierran.",
        Referencia("acceso_datos.conexion", "Conexion.obtener_pool"),
    ),
    Comprobacion(
        "pool_agotado",
        "pedir una conexión más que el máximo da una excepción clara o una espera acotada",
        "Cuando todas las conexiones están ocupadas, el programa se cuelga o falla más tarde "
        "con un error confuso (AttributeError sobre None) en vez de avisar.",
        Referencia("acceso_datos.conexion", "PoolConexiones.prestar"),
    ),
    Comprobacion(
        "sin_sys_exit",
        "si la base no responde, la biblioteca lanza una excepción y nunca llama a sys.exit()",
        "Si la base de datos no está disponible, el programa se cierra de golpe sin decir por "
        "qué, y quien lo usa no puede reintentar.",
        Referencia("acceso_datos.errores", "ConexionError"),
    ),
    Comprobacion(
        "cierra_conexiones",
        "cerrar las conexiones las cierra de verdad",
        "Al terminar, las conexiones siguen abiertas en el servidor, que acaba rechazando "
        "las nuevas («too many clients»).",
        Referencia("acceso_datos.conexion", "Conexion.cerrar_conexiones"),
    ),
    Comprobacion(
        "sql_con_parametros",
        "ningún SQL se construye formateando valores en el texto (solo parámetros %s)",
        "Un nombre con apóstrofo (O'Brien) rompe la consulta, y un texto escrito a propósito "
        "puede leer o borrar la tabla (inyección SQL).",
        Referencia(_DAO, "UsuarioDAO", texto="_INSERTAR = "),
    ),
    Comprobacion(
        "password_en_claro",
        "las contraseñas no se guardan ni se registran en texto plano",
        "Quien lea la tabla o el registro (log) ve las contraseñas de todos los usuarios. "
        "Es un consejo que va más allá del curso: el laboratorio del curso las guarda así.",
        Referencia("acceso_datos.seguridad", "generar_hash"),
    ),
    Comprobacion(
        "credenciales_en_codigo",
        "la contraseña de la base no está escrita en el código",
        "Quien reciba el código (un compañero, un repositorio público) tiene la contraseña "
        "de la base, y cambiarla obliga a tocar el programa.",
        Referencia("acceso_datos.configuracion", "leer_configuracion"),
    ),
    Comprobacion(
        "menu_entrada_invalida",
        "el menú aguanta letras donde va un número, una opción que no existe y el fin de la "
        "entrada",
        "Quien escribe una letra por error, o pulsa Ctrl-D, ve una traza de Python y el "
        "programa se cierra.",
        Referencia("acceso_datos.consola", "leer_id"),
    ),
)

IDS: tuple[str, ...] = tuple(comprobacion.id for comprobacion in COMPROBACIONES)
POR_ID: dict[str, Comprobacion] = {comprobacion.id: comprobacion for comprobacion in COMPROBACIONES}
