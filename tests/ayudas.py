"""Ayudas que comparten los tests: contadores del pool, procesos del servidor y
directorios temporales. Las fixtures están en conftest.py."""

import re
from pathlib import Path

from psycopg2 import sql

from acceso_datos.conexion import Conexion
from acceso_datos.cursor_del_pool import CursorDelPool
from benchmarks.servidores_locales import carpeta_temporal

RAIZ = Path(__file__).resolve().parent.parent  # la raíz del proyecto


def en_uso() -> int:
    """Cuántas conexiones tiene prestadas ahora el pool."""
    return Conexion.estadisticas()["en_uso"]


def pid_de(conexion) -> int:
    """El pid del proceso del servidor que atiende la conexión (hace un viaje: si la
    conexión está rota, falla)."""
    with conexion.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def usernames_confirmados(observador) -> list[str]:
    """Los usernames confirmados, por orden de id, vistos desde la conexión `observador`
    (fuera del pool: lo que ya se guardó, no lo que una transacción tiene a medias)."""
    with observador.cursor() as cursor:
        cursor.execute("SELECT username FROM usuario ORDER BY id_usuario")
        return [fila[0] for fila in cursor.fetchall()]


def terminar_backend(observador, pid: int) -> None:
    """Termina, desde la conexión `observador` (fuera del pool), el proceso del servidor con
    ese pid, y espera (hasta 5 s) a que haya terminado."""
    with observador.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s, 5000)", (pid,))
        assert cursor.fetchone()[0], f"el backend {pid} no terminó"


def vaciar_tablas() -> None:
    """Vacía cada tabla del esquema (salvo esquema_version) y reinicia sus secuencias.

    Se buscan en el catálogo: la tabla de un DAO nuevo se vacía sin tocar este archivo.
    """
    with CursorDelPool() as cursor:
        cursor.execute(
            "SELECT tablename FROM pg_tables "
            "WHERE schemaname = current_schema() AND tablename <> 'esquema_version'"
        )
        tablas = [sql.Identifier(tabla) for (tabla,) in cursor.fetchall()]
        if tablas:
            cursor.execute(
                sql.SQL("TRUNCATE {} RESTART IDENTITY CASCADE").format(sql.SQL(", ").join(tablas))
            )


def pid_de_la_proxima_conexion() -> int:
    """El pid de la conexión que el pool prestará a continuación."""
    # El pool guarda las libres como una pila: la que se acaba de devolver es la
    # primera que se presta después.
    with CursorDelPool() as cursor:
        return pid_de(cursor.connection)


# Para los servidores propios de los tests: un directorio temporal fuera de
# /tmp/pytest-of-<usuario>, borrado al salir. Como root, el servidor embebido corre con otro
# usuario del sistema, y cada sesión de pytest que empieza deja el directorio de tmp_path en
# modo 700; un servidor que viviera dentro perdería el acceso a sus datos.
directorio_fuera_de_pytest = carpeta_temporal


# --- lo que se ve en pantalla -----------------------------------------------------------

# Palabras en inglés que ya se colaron alguna vez en pantalla, y las que dice libpq.
_EN_INGLES = re.compile(
    r"\b(username|password|e-?mail|warning|connection|failed|refused|exhausted|expired|"
    r"timeout|server)\b",
    re.IGNORECASE,
)
# Un plural tras «1»: «1 conexiones».
_PLURAL_TRAS_UNO = re.compile(r"(?<![\d,.])\b1 [a-záéíóúñ]+(?:es|os|as)\b")
# Un decimal con punto («2.0 s»); no una dirección IP (127.0.0.1), que lleva varios.
_DECIMAL_CON_PUNTO = re.compile(r"(?<![\d.])\d+\.\d+(?![\d.])")
# Lo que no se traduce: nombres de código (`with CursorDelPool()`, Conexion.estadisticas(),
# DB_POOL_MAX), rutas y mensajes citados tal cual entre comillas latinas («...»).
_NO_ES_TEXTO = re.compile(r"`[^`]*`|«[^»]*»|\S*(?:_|/|\(\))\S*")


def problemas_de_idioma(pantalla: str) -> list[str]:
    """Lo que está mal en un texto de pantalla en español: palabras en inglés, plurales
    tras «1» y decimales con punto. Vacía si no hay nada."""
    texto = _NO_ES_TEXTO.sub(" ", pantalla)
    # «1 libre» y «1 conexión» están bien; «1 segundos» no. Las palabras que acaban en
    # -es/-os/-as en singular (mes, caos...) no salen en estas pantallas.
    return [
        *_EN_INGLES.findall(texto),
        *_PLURAL_TRAS_UNO.findall(texto),
        *_DECIMAL_CON_PUNTO.findall(texto),
    ]
