"""`make bench`, sección 6, segunda parte: más clientes que conexiones admite el servidor.

Es el caso para el que existe PgBouncer. `procesos` procesos, cada uno con su pool
(máximo DB_POOL_MAX) y sus hilos, piden más conexiones que las `max_connections` de un
servidor pequeño que la medida arranca para sí. Directos, los que no caben reciben un
error (SQLSTATE 53300), que se cuenta; a través de PgBouncer en modo transacción, con la
mitad de esas conexiones al servidor, esperan su turno dentro de PgBouncer y ninguno
falla. Cada forma tiene su propio servidor, igual que el otro: si compartieran uno, las
conexiones ociosas de una le quitarían huecos a la otra. Rondas alternadas, como las demás.
"""

from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

from psycopg2.extensions import connection as Connection

from benchmarks.base_de_medida import preparar_usuarios, url_de
from benchmarks.carga import Celda
from benchmarks.pgbouncer import INSTALAR, PgBouncer, buscar_pgbouncer
from benchmarks.servidores_locales import ServidorLocal, carpeta_temporal
from benchmarks.varios_procesos import medir_formas

PAUSA = 0.005  # segundos de cada transacción: así cada pool llega a usar sus conexiones
FORMAS = {
    "directo": "directo: cada proceso con su pool contra el servidor",
    "pgbouncer": "a través de PgBouncer (modo transacción)",
}


@dataclass
class SinHuecos:
    """Lo medido: las rondas de cada forma, sus errores 53300 y cuántas conexiones llegó a
    tener abiertas el servidor (sin contar la del observador)."""

    max_connections: int
    pool_de_pgbouncer: int
    celdas: dict[str, Celda]
    errores_53300: dict[str, int]
    conexiones: dict[str, int]


@contextmanager
def _servidor_pequeno(max_connections: int, usuarios: int) -> Iterator[ServidorLocal]:
    with carpeta_temporal("sin_huecos") as carpeta:
        servidor = ServidorLocal.nuevo(carpeta, {"max_connections": str(max_connections)})
        try:
            servidor.arrancar()
            preparar_usuarios(servidor.configuracion(), usuarios)
            yield servidor
        finally:
            servidor.parar_si_sigue()


def medir_sin_huecos(
    entorno: Mapping[str, str],
    procesos: int,
    hilos: int,
    usuarios: int,
    rondas: int,
    duracion: float,
    max_connections: int,
    avisar: Callable[[int, str], None],
) -> SinHuecos:
    """Directos y a través de PgBouncer (si está instalado), en rondas alternadas."""
    pool_de_pgbouncer = max_connections // 2
    formas: dict[str, dict[str, str]] = {}
    observadores: dict[str, Connection] = {}
    with ExitStack() as recursos:
        for clave in FORMAS:
            if clave == "pgbouncer" and buscar_pgbouncer() is None:
                continue
            servidor = recursos.enter_context(_servidor_pequeno(max_connections, usuarios))
            configuracion = servidor.configuracion()
            if clave == "pgbouncer":
                pgbouncer = recursos.enter_context(
                    PgBouncer(configuracion, tamano_pool=pool_de_pgbouncer)
                )
                configuracion = pgbouncer.configuracion()
            formas[clave] = {**entorno, "DATABASE_URL": url_de(configuracion)}
            # Antes que los trabajadores: con el servidor lleno, ya no entraría.
            observadores[clave] = servidor.conectar()
            recursos.callback(observadores[clave].close)

        def contar_conexiones(clave: str) -> int:
            with observadores[clave].cursor() as cursor:
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()"
                )
                fila = cursor.fetchone()
            assert fila is not None  # un count(*) devuelve siempre una fila
            return int(fila[0])

        celdas, conexiones, sumas = medir_formas(
            formas,
            procesos,
            hilos,
            usuarios,
            rondas,
            duracion,
            avisar,
            contar_conexiones,
            {"pausa": PAUSA},
        )
    if "pgbouncer" not in formas:
        celdas["pgbouncer"] = Celda(omitida=f"no medido: falta pgbouncer ({INSTALAR})")
    return SinHuecos(
        max_connections,
        pool_de_pgbouncer,
        celdas,
        {clave: suma["sin_huecos"] for clave, suma in sumas.items()},
        conexiones,
    )
