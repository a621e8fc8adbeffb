"""Crea y pone al día las tablas con las migraciones numeradas de `migraciones/`.

Cada archivo `NNN_descripcion.sql` es un paso del esquema, en SQL plano. `crear_esquema()`
aplica en orden los que faltan, cada uno en su propia transacción, y apunta en la tabla
`esquema_version` los aplicados (como las migraciones de Django): una base hecha con una
versión anterior del programa se pone al día sin perder sus datos.
"""

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import psycopg2
from psycopg2 import errors
from psycopg2.extensions import cursor as Cursor

from acceso_datos.cursor_del_pool import CursorDelPool
from acceso_datos.dao_base import traducir_error
from acceso_datos.errores import ConexionError, MigracionError
from acceso_datos.logger_base import log

DIRECTORIO_MIGRACIONES = Path(__file__).with_name("migraciones")

# Dos programas que arrancan a la vez no deben aplicar la misma migración dos veces. El
# candado es de transacción (no de sesión) para que valga también detrás de PgBouncer.
_BLOQUEAR = "SELECT pg_advisory_xact_lock(hashtext('acceso_datos.esquema'))"
_CREAR_TABLA_DE_VERSIONES = """
    CREATE TABLE IF NOT EXISTS esquema_version (
        version     INTEGER PRIMARY KEY,
        archivo     TEXT NOT NULL,
        suma_sha256 TEXT NOT NULL,
        aplicada_en TIMESTAMPTZ NOT NULL DEFAULT now()
    )
"""
_APLICADAS = "SELECT version, archivo, suma_sha256 FROM esquema_version ORDER BY version"
_REGISTRAR = "INSERT INTO esquema_version (version, archivo, suma_sha256) VALUES (%s, %s, %s)"
# Antes de las migraciones, esquema.sql creaba solo la tabla usuario, que es la versión 1.
_HECHA_CON_ESQUEMA_SQL = "SELECT to_regclass('usuario') IS NOT NULL"

_NOMBRE = re.compile(r"(?P<version>\d+)_.+\.sql")


@dataclass(frozen=True)
class Migracion:
    """Un archivo de `migraciones/`: su número, su nombre y su SQL."""

    version: int
    archivo: str
    sql: str

    @property
    def suma(self) -> str:
        """Huella del contenido: dice si el archivo cambió después de aplicarse."""
        return hashlib.sha256(self.sql.encode("utf-8")).hexdigest()


def leer_migraciones(directorio: Path = DIRECTORIO_MIGRACIONES) -> list[Migracion]:
    """Las migraciones del directorio en orden; MigracionError si un nombre o la
    numeración (1, 2, 3... sin huecos ni repetidos) no son correctos."""
    migraciones = []
    for ruta in sorted(directorio.glob("*.sql")):
        nombre = _NOMBRE.fullmatch(ruta.name)
        if nombre is None:
            raise MigracionError(
                f"El archivo {ruta} no tiene nombre de migración: use NNN_descripcion.sql "
                "(por ejemplo 003_producto.sql)."
            )
        sql = ruta.read_text(encoding="utf-8")
        migraciones.append(Migracion(int(nombre["version"]), ruta.name, sql))
    migraciones.sort(key=lambda migracion: migracion.version)
    for esperada, migracion in enumerate(migraciones, start=1):
        if migracion.version != esperada:
            raise MigracionError(
                f"Las migraciones de {directorio} deben numerarse 1, 2, 3... sin huecos ni "
                f"repetidos: tras la versión {esperada - 1} viene {migracion.archivo}."
            )
    return migraciones


def crear_esquema(directorio: Path = DIRECTORIO_MIGRACIONES) -> int:
    """Aplica en orden las migraciones que faltan y devuelve la versión de la base.

    Repetirlo no cambia nada. Si una migración falla, lanza MigracionError con el nombre
    del archivo, y la base queda en la versión anterior a ella.
    """
    migraciones = leer_migraciones(directorio)
    while True:
        en_curso: Migracion | None = None
        try:
            with CursorDelPool() as cursor:
                version = _preparar(cursor, migraciones)
                if version == len(migraciones):
                    return version
                en_curso = migraciones[version]
                cursor.execute(en_curso.sql)
                cursor.execute(_REGISTRAR, (en_curso.version, en_curso.archivo, en_curso.suma))
        except psycopg2.Error as error:
            if isinstance(traducido := traducir_error(error), ConexionError):
                raise traducido from error
            if en_curso is None:
                raise
            # El texto de PostgreSQL (en inglés, con la línea del error) queda en el log.
            log.info("La migración %s falló: %s", en_curso.archivo, str(error).strip())
            motivo = _motivo(error)
            raise MigracionError(
                f"La migración {en_curso.archivo} falló y no se aplicó: {motivo}\n"
                f"La base sigue en la versión {en_curso.version - 1}. Corrija el archivo "
                "y vuelva a arrancar.",
                en_curso.archivo,
                motivo,
            ) from error
        log.info("Aplicada la migración %s", en_curso.archivo)


def _motivo(error: psycopg2.Error) -> str:
    """Por qué falló una migración, en una línea: en español si el caso es conocido (por el
    código SQLSTATE, no por el texto); si no, la primera línea de PostgreSQL, citada."""
    diagnostico = error.diag
    if isinstance(error, errors.NotNullViolation) and diagnostico.column_name:
        # Lo típico: ADD COLUMN ... NOT NULL (o SET NOT NULL) en una tabla que ya tiene filas.
        return (
            f"la columna {diagnostico.column_name} de la tabla {diagnostico.table_name} es "
            "NOT NULL, y alguna fila quedaría sin valor en ella (si la columna es nueva, "
            "todas las que ya había). Dele un valor por defecto (DEFAULT) o deje que admita "
            "vacíos."
        )
    return f"«{str(error).strip().splitlines()[0]}»"


def _preparar(cursor: Cursor, migraciones: list[Migracion]) -> int:
    """Toma el candado, crea la tabla de versiones si falta y devuelve la versión actual."""
    cursor.execute(_BLOQUEAR)
    cursor.execute(_CREAR_TABLA_DE_VERSIONES)
    cursor.execute(_APLICADAS)
    aplicadas = cursor.fetchall()
    if not aplicadas and migraciones:
        cursor.execute(_HECHA_CON_ESQUEMA_SQL)
        if cursor.fetchone() == (True,):
            primera = migraciones[0]
            cursor.execute(_REGISTRAR, (primera.version, primera.archivo, primera.suma))
            log.info("Base creada con esquema.sql: %s se da por aplicada", primera.archivo)
            aplicadas = [(primera.version, primera.archivo, primera.suma)]
    for version, archivo, suma in aplicadas:
        if version > len(migraciones):
            log.warning(
                "La base está en la versión %d (%s), más nueva que este programa, que "
                "llega a la %d. Use la versión del programa que la actualizó.",
                version,
                archivo,
                len(migraciones),
            )
            return len(migraciones)
        if suma != migraciones[version - 1].suma:
            log.warning(
                "La migración %s cambió después de aplicarse a esta base, y sus cambios no "
                "se aplicarán: déjela como estaba y escriba el cambio en una migración nueva.",
                archivo,
            )
    return len(aplicadas)
