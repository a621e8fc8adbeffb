"""`make bench`: cuánto cuesta pedir y devolver una conexión a nuestro pool.

Mide en un solo proceso la misma operación (SELECT 1 y commit), el mismo número de veces,
con nuestro pool y con las alternativas: una conexión persistente sin pool, conectar en
cada operación, un pool mínimo con `threading.Semaphore`, el `SimpleConnectionPool` del
curso y `psycopg_pool` (psycopg 3). Cada variante se mide en varias rondas alternadas y
se toma la mediana. Sin DB_HOST ni DATABASE_URL arranca su propio PostgreSQL embebido en
un directorio temporal, que para y borra al terminar.

El logging se deja sin configurar (nivel por defecto, WARNING): así se mide lo que paga
un programa que no pide el detalle de cada préstamo.
"""

import gc
import logging
import os
import platform
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import psycopg2
import psycopg2.pool

from acceso_datos.conexion import Conexion, configuracion_resuelta
from acceso_datos.configuracion import leer_configuracion
from acceso_datos.cursor_del_pool import CursorDelPool
from acceso_datos.errores import ErrorAccesoDatos
from acceso_datos.logger_base import log
from acceso_datos.servidor_embebido import ServidorEmbebido, crear_base_si_falta

try:  # psycopg 3 y su pool son opcionales: vienen de requirements-bench.txt
    import psycopg
    import psycopg_pool
except ImportError:
    psycopg = psycopg_pool = None

CONSULTA = "SELECT 1"
MAXIMO = 5  # el tamaño del pool del curso (mínimo 1, máximo 5)
REPETICIONES = 100  # operaciones por ronda y variante, iguales para todas
RONDAS = 41
REPETICIONES_SIN_CONSULTA = 2_000
HILOS = 20
OPERACIONES_POR_HILO = 50
RONDAS_CON_HILOS = 21
LIMITE_HILOS = 60.0  # segundos: una ronda con hilos más lenta es un cuelgue

OBJETIVO_PERSISTENTE = 1.10  # nuestro pool, como mucho un 10 % más lento que sin pool
OBJETIVO_CONECTAR = 20.0  # conectar en cada operación, al menos 20 veces más lento
OBJETIVO_SEMAFORO = 1.00  # al menos tan rápido como el pool mínimo de semáforo


def consultar(conexion) -> None:
    """La operación medida: un SELECT 1 y su commit (vale para psycopg2 y psycopg 3)."""
    with conexion.cursor() as cursor:
        cursor.execute(CONSULTA)
        cursor.fetchone()
    conexion.commit()


class PoolSemaforo:
    """El pool más pequeño que es seguro entre hilos: N conexiones y un Semaphore."""

    def __init__(self, parametros: dict, maximo: int):
        self._turnos = threading.Semaphore(maximo)
        self._libres = [psycopg2.connect(**parametros) for _ in range(maximo)]
        self._todas = list(self._libres)

    def obtener(self, timeout: float = 30.0):
        if not self._turnos.acquire(timeout=timeout):
            raise TimeoutError(f"pool de semáforo agotado tras {timeout} s")
        # Con un turno concedido seguro que queda una; list.pop es atómico con el GIL.
        return self._libres.pop()

    def devolver(self, conexion) -> None:
        self._libres.append(conexion)
        self._turnos.release()

    def cerrar(self) -> None:
        for conexion in self._todas:
            conexion.close()


class ConexionContada(psycopg2.extensions.connection):
    """Conexión de psycopg2 que cuenta cuántas se han abierto (para ver reconexiones)."""

    abiertas = 0

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        type(self).abiertas += 1


class PoolThreadedConSemaforo:
    """El ThreadedConnectionPool de psycopg2 (mín 1, máx 5) con un Semaphore delante.

    Por sí solo no sirve con más hilos que conexiones: la sexta petición lanza PoolError en vez
    de esperar. El semáforo la hace esperar y deja ver cuántas veces vuelve a conectar.
    """

    def __init__(self, parametros: dict, maximo: int):
        self._turnos = threading.Semaphore(maximo)
        self._pool = psycopg2.pool.ThreadedConnectionPool(
            1, maximo, connection_factory=ConexionContada, **parametros
        )

    def obtener(self, timeout: float = 30.0):
        if not self._turnos.acquire(timeout=timeout):
            raise TimeoutError(f"ThreadedConnectionPool agotado tras {timeout} s")
        return self._pool.getconn()

    def devolver(self, conexion) -> None:
        self._pool.putconn(conexion)
        self._turnos.release()

    def cerrar(self) -> None:
        self._pool.closeall()


@dataclass(frozen=True)
class Cociente:
    """El cociente de dos variantes ronda a ronda: su mediana y sus cuartiles."""

    mediana: float
    primer_cuartil: float
    tercer_cuartil: float

    def __str__(self) -> str:
        cuartiles = f"{veces(self.primer_cuartil)}–{veces(self.tercer_cuartil)}"
        return f"{veces(self.mediana)} ({cuartiles})"


@dataclass
class Variante:
    """Una forma de hacer la operación; `tiempos` guarda los segundos/op de cada ronda."""

    clave: str
    nombre: str
    operacion: Callable[[], None]
    tiempos: list[float] = field(default_factory=list)

    @property
    def mediana(self) -> float:
        return statistics.median(self.tiempos)

    def frente_a(self, otra: "Variante") -> Cociente:
        """Cuántas veces tarda esta lo que la otra, comparando cada ronda con la misma ronda.

        Las dos se midieron una junto a la otra en cada ronda, así que el cociente de la
        ronda apenas nota si la máquina iba más cargada en ese momento.
        """
        cocientes = [mio / suyo for mio, suyo in zip(self.tiempos, otra.tiempos, strict=True)]
        cuartiles = statistics.quantiles(cocientes, n=4)
        return Cociente(statistics.median(cocientes), cuartiles[0], cuartiles[2])


def cronometrar(operacion: Callable[[], None], repeticiones: int) -> float:
    """Segundos por operación; sin recolector de basura durante la medida, como timeit."""
    recolector = gc.isenabled()
    gc.disable()
    try:
        inicio = time.perf_counter()
        for _ in range(repeticiones):
            operacion()
        return (time.perf_counter() - inicio) / repeticiones
    finally:
        if recolector:
            gc.enable()


def medir_en_rondas(variantes: list[Variante], repeticiones: int, rondas: int) -> None:
    """Una ronda de calentamiento y luego `rondas` rondas, rotando el orden en cada una."""
    for variante in variantes:
        cronometrar(variante.operacion, max(1, repeticiones // 10))
    for ronda in range(rondas):
        desplazamiento = ronda % len(variantes)
        for variante in variantes[desplazamiento:] + variantes[:desplazamiento]:
            variante.tiempos.append(cronometrar(variante.operacion, repeticiones))


def ops_por_segundo_con_hilos(operacion: Callable[[], None]) -> float:
    """HILOS hilos arrancan a la vez y hacen OPERACIONES_POR_HILO cada uno; ops/s totales."""
    salida = threading.Barrier(HILOS + 1)
    errores: list[BaseException] = []

    def trabajar() -> None:
        try:
            salida.wait(timeout=10)
            for _ in range(OPERACIONES_POR_HILO):
                operacion()
        except BaseException as error:
            errores.append(error)

    hilos = [threading.Thread(target=trabajar, daemon=True) for _ in range(HILOS)]
    for hilo in hilos:
        hilo.start()
    salida.wait(timeout=10)
    inicio = time.perf_counter()
    limite = time.monotonic() + LIMITE_HILOS
    for hilo in hilos:
        hilo.join(timeout=max(0.0, limite - time.monotonic()))
    duracion = time.perf_counter() - inicio
    if errores or any(hilo.is_alive() for hilo in hilos):
        primero = f": {errores[0]!r}" if errores else ""
        raise RuntimeError(f"la prueba con hilos falló ({len(errores)} errores){primero}")
    return HILOS * OPERACIONES_POR_HILO / duracion


def medir_con_hilos(variantes: list[Variante]) -> None:
    """Como medir_en_rondas, pero cada tiempo es 1 / (ops/s) de una ronda con hilos."""
    for variante in variantes:
        ops_por_segundo_con_hilos(variante.operacion)  # calentamiento: abre las 5
    for ronda in range(RONDAS_CON_HILOS):
        desplazamiento = ronda % len(variantes)
        for variante in variantes[desplazamiento:] + variantes[:desplazamiento]:
            variante.tiempos.append(1 / ops_por_segundo_con_hilos(variante.operacion))


# --- las variantes --------------------------------------------------------------------


def con_nuestro_pool() -> None:
    conexion = Conexion.obtener_conexion()
    try:
        consultar(conexion)
    finally:
        Conexion.liberar_conexion(conexion)


def con_cursor_del_pool() -> None:
    with CursorDelPool() as cursor:
        cursor.execute(CONSULTA)
        cursor.fetchone()


def crear_variantes(parametros: dict, recursos: ExitStack) -> dict[str, Callable[[], None]]:
    """Abre lo que necesita cada variante y devuelve sus operaciones, por clave."""
    persistente = psycopg2.connect(**parametros)
    recursos.callback(persistente.close)
    semaforo = PoolSemaforo(parametros, MAXIMO)
    recursos.callback(semaforo.cerrar)
    simple = psycopg2.pool.SimpleConnectionPool(1, MAXIMO, **parametros)
    recursos.callback(simple.closeall)
    threaded = PoolThreadedConSemaforo(parametros, MAXIMO)
    recursos.callback(threaded.cerrar)

    def con_semaforo() -> None:
        conexion = semaforo.obtener()
        try:
            consultar(conexion)
        finally:
            semaforo.devolver(conexion)

    def con_simple() -> None:
        conexion = simple.getconn()
        try:
            consultar(conexion)
        finally:
            simple.putconn(conexion)

    def con_threaded() -> None:
        conexion = threaded.obtener()
        try:
            consultar(conexion)
        finally:
            threaded.devolver(conexion)

    def conectar_cada_vez() -> None:
        conexion = psycopg2.connect(**parametros)
        try:
            consultar(conexion)
        finally:
            conexion.close()

    operaciones = {
        "nuestro": con_nuestro_pool,
        "cursor": con_cursor_del_pool,
        "persistente": lambda: consultar(persistente),
        "conectar": conectar_cada_vez,
        "semaforo": con_semaforo,
        "simple": con_simple,
        "threaded": con_threaded,
        "solo_nuestro": lambda: Conexion.liberar_conexion(Conexion.obtener_conexion()),
        "solo_semaforo": lambda: semaforo.devolver(semaforo.obtener()),
        "solo_simple": lambda: simple.putconn(simple.getconn()),
    }
    if psycopg_pool is not None:
        texto = psycopg.conninfo.make_conninfo(**parametros)
        persistente3 = psycopg.connect(texto)
        recursos.callback(persistente3.close)
        pool3 = psycopg_pool.ConnectionPool(texto, min_size=1, max_size=MAXIMO, open=True)
        recursos.callback(pool3.close)
        pool3.wait(timeout=30)

        def con_psycopg_pool() -> None:
            # Al salir del bloque, connection() hace el commit.
            with pool3.connection() as conexion, conexion.cursor() as cursor:
                cursor.execute(CONSULTA)
                cursor.fetchone()

        operaciones.update(
            psycopg_pool=con_psycopg_pool,
            persistente3=lambda: consultar(persistente3),
            solo_psycopg_pool=lambda: pool3.putconn(pool3.getconn()),
        )
    return operaciones


# --- el informe -----------------------------------------------------------------------

ANCHO = 100


def numero(valor: float, decimales: int = 1) -> str:
    """Un número con coma decimal, como se escribe en español."""
    return f"{valor:.{decimales}f}".replace(".", ",")


def veces(valor: float) -> str:
    return f"{numero(valor, 2)}×"


def fila(nombre: str, *columnas: str) -> str:
    return f"{nombre:<44}" + "".join(f"{columna:>14}" for columna in columnas)


def tabla_un_hilo(variantes: dict[str, Variante]) -> list[str]:
    persistente, conectar = variantes["persistente"], variantes["conectar"]
    lineas = [
        fila("Un hilo: SELECT 1 + commit", "µs/op", "añade µs", "÷ persistente", "conectar ÷"),
        "-" * ANCHO,
    ]
    for variante in variantes.values():
        lineas.append(
            fila(
                variante.nombre,
                numero(variante.mediana * 1e6),
                numero((variante.mediana - persistente.mediana) * 1e6),
                veces(variante.frente_a(persistente).mediana),
                veces(conectar.frente_a(variante).mediana),
            )
        )
    lineas.append("«añade µs»: lo que cuesta de más cada operación frente a la persistente.")
    if "psycopg_pool" in variantes:
        cociente = variantes["psycopg_pool"].frente_a(variantes["persistente3"])
        lineas.append(
            f"psycopg_pool frente a la persistente de su mismo driver (psycopg 3): "
            f"{veces(cociente.mediana)}"
        )
    return lineas


def tabla_sin_consulta(variantes: dict[str, Variante]) -> list[str]:
    semaforo = variantes["semaforo"]
    lineas = [
        fila("Un hilo: solo pedir y devolver, sin consulta", "µs/op", "÷ semáforo"),
        "-" * ANCHO,
    ]
    for variante in variantes.values():
        lineas.append(
            fila(
                variante.nombre,
                numero(variante.mediana * 1e6, 2),
                veces(variante.frente_a(semaforo).mediana),
            )
        )
    return lineas


def tabla_con_hilos(variantes: dict[str, Variante], reconexiones: str) -> list[str]:
    semaforo = variantes["semaforo"]
    lineas = [
        fila(f"{HILOS} hilos, pool de {MAXIMO}: SELECT 1 + commit", "ops/s", "÷ semáforo"),
        "-" * ANCHO,
    ]
    for variante in variantes.values():
        lineas.append(
            fila(
                variante.nombre,
                numero(1 / variante.mediana, 0),
                veces(variante.frente_a(semaforo).mediana),
            )
        )
    lineas.append(f"El ThreadedConnectionPool {reconexiones}.")
    return lineas


def objetivos(
    un_hilo: dict[str, Variante], sin_consulta: dict[str, Variante], con_hilos: dict[str, Variante]
) -> list[str]:
    lineas = [
        "Objetivos (mediana de los cocientes ronda a ronda; entre paréntesis, los cuartiles:",
        "la mitad de las rondas cayó en ese intervalo)",
    ]

    def objetivo(cumplido: bool, texto: str) -> None:
        lineas.append(f"  {'SÍ' if cumplido else 'NO':<3}{texto}")

    for clave in ("nuestro", "cursor"):
        variante = un_hilo[clave]
        cociente = variante.frente_a(un_hilo["persistente"])
        objetivo(
            cociente.mediana <= OBJETIVO_PERSISTENTE,
            f"{variante.nombre} ÷ persistente = {cociente}; "
            f"objetivo ≤ {veces(OBJETIVO_PERSISTENTE)}",
        )
    for clave in ("nuestro", "cursor"):
        variante = un_hilo[clave]
        cociente = un_hilo["conectar"].frente_a(variante)
        objetivo(
            cociente.mediana >= OBJETIVO_CONECTAR,
            f"conectar cada vez ÷ {variante.nombre} = {cociente}; "
            f"objetivo ≥ {veces(OBJETIVO_CONECTAR)}",
        )
    comparaciones = [
        (un_hilo, "nuestro", "un hilo"),
        (un_hilo, "cursor", "un hilo"),
        (sin_consulta, "nuestro", "sin consulta"),
        (con_hilos, "nuestro", f"{HILOS} hilos"),
        (con_hilos, "cursor", f"{HILOS} hilos"),
    ]
    for variantes, clave, donde in comparaciones:
        variante = variantes[clave]
        cociente = variante.frente_a(variantes["semaforo"])
        objetivo(
            cociente.mediana <= OBJETIVO_SEMAFORO,
            f"{variante.nombre} ÷ semáforo ({donde}) = {cociente}; "
            f"objetivo ≤ {veces(OBJETIVO_SEMAFORO)}",
        )
    return lineas


# --- el servidor y el programa ---------------------------------------------------------


@contextmanager
def servidor_para_medir() -> Iterator[tuple[str, Path | None]]:
    """El servidor configurado o, si no hay, uno embebido temporal.

    Da su descripción y, si es el embebido, su directorio de datos.
    """
    configuracion = leer_configuracion()
    if not configuracion.embebido:
        yield configuracion.destino(), None
        return
    directorio = Path(tempfile.mkdtemp(prefix="bench_pool_"))
    try:
        servidor = ServidorEmbebido(directorio / "datos")
        try:
            os.environ.update(
                DATABASE_URL="",
                DB_HOST=servidor.socket,
                DB_PORT=str(servidor.puerto),
                DB_USER="postgres",
                DB_PASSWORD="",
                DB_NAME="bench_pool",
            )
            crear_base_si_falta(configuracion_resuelta())
            yield "PostgreSQL embebido temporal (socket Unix)", servidor.directorio
        finally:
            Conexion.cerrar_conexiones()
            servidor.detener()
    finally:
        shutil.rmtree(directorio, ignore_errors=True)


def fijar_en_un_nucleo(datos: Path | None) -> str:
    """Pone este proceso y el servidor embebido en el mismo núcleo; describe lo hecho.

    En una máquina virtual, despertar al otro lado en otro núcleo cuesta unos 100 µs y
    cambia según dónde caiga cada proceso: con 2 núcleos, la misma conexión tardaba 50 µs
    o 200 µs por operación según el reparto, y eso tapaba lo que se quiere medir. En un
    solo núcleo cada operación cuesta lo que gastan el cliente y el servidor.
    """
    if datos is None or not hasattr(os, "sched_setaffinity"):
        return "sin fijar núcleo (servidor configurado: no se toca)"
    nucleo = max(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {nucleo})  # los hilos que se creen después lo heredan
    # La primera línea de postmaster.pid es el PID del servidor; sus hijos (cada conexión
    # es uno) heredan el núcleo al nacer.
    servidor = psutil.Process(int((datos / "postmaster.pid").read_text().split()[0]))
    for proceso in [servidor, *servidor.children(recursive=True)]:
        proceso.cpu_affinity([nucleo])
    return f"cliente y servidor fijados en el núcleo {nucleo}"


def version_servidor(parametros: dict) -> str:
    conexion = psycopg2.connect(**parametros)
    try:
        with conexion.cursor() as cursor:
            cursor.execute("SHOW server_version")
            return cursor.fetchone()[0].split()[0]
    finally:
        conexion.close()


NOMBRES = {
    "nuestro": "(1) Conexion.obtener/liberar_conexion",
    "cursor": "(1) with CursorDelPool()",
    "persistente": "(2) conexión persistente, sin pool",
    "conectar": "(3) conectar y cerrar en cada operación",
    "semaforo": "(4) pool mínimo con threading.Semaphore",
    "simple": "(5) SimpleConnectionPool (mín 1, máx 5)",
    "psycopg_pool": "(6) psycopg_pool.ConnectionPool (psycopg 3)",
    "persistente3": "    conexión persistente psycopg 3",
    "threaded": "    ThreadedConnectionPool + Semaphore(5)",
}


def variantes(operaciones: dict[str, Callable[[], None]], *claves: str) -> dict[str, Variante]:
    """Las variantes pedidas que existen (las de psycopg 3 faltan si no está instalado)."""
    return {
        clave: Variante(clave, NOMBRES[clave], operaciones[clave])
        for clave in claves
        if clave in operaciones
    }


def medir() -> None:
    """Prepara el servidor y las variantes, mide e imprime las tablas."""
    inicio = time.monotonic()
    carga_inicial = os.getloadavg()[0]
    # El pool que se mide es el del curso: mínimo 1, máximo 5. Se fija antes de crearlo.
    os.environ.update(
        DB_POOL_MIN="1",
        DB_POOL_MAX=str(MAXIMO),
        DB_POOL_TIMEOUT="30",
        DB_POOL_MAX_IDLE="300",
        DB_APPLICATION_NAME="acceso_datos_bench",
    )
    with servidor_para_medir() as (servidor, datos), ExitStack() as recursos:
        nucleo = fijar_en_un_nucleo(datos)
        Conexion.obtener_pool()  # si el servidor no responde, ConexionError lo explica
        recursos.callback(Conexion.cerrar_conexiones)
        parametros = configuracion_resuelta().parametros_conexion()
        version = version_servidor(parametros)
        operaciones = crear_variantes(parametros, recursos)
        print(f"Midiendo sobre {servidor}; tarda menos de un minuto...", flush=True)

        un_hilo = variantes(
            operaciones,
            "nuestro",
            "cursor",
            "persistente",
            "conectar",
            "semaforo",
            "simple",
            "psycopg_pool",
            "persistente3",
        )
        medir_en_rondas(list(un_hilo.values()), REPETICIONES, RONDAS)

        solo = {clave.removeprefix("solo_"): op for clave, op in operaciones.items()}
        sin_consulta = variantes(solo, "nuestro", "semaforo", "simple", "psycopg_pool")
        medir_en_rondas(list(sin_consulta.values()), REPETICIONES_SIN_CONSULTA, RONDAS)

        ConexionContada.abiertas = 0
        con_hilos = variantes(
            operaciones, "nuestro", "cursor", "semaforo", "psycopg_pool", "threaded"
        )
        medir_con_hilos(list(con_hilos.values()))
        prestamos = HILOS * OPERACIONES_POR_HILO * (RONDAS_CON_HILOS + 1)
        reconexiones = (
            f"(mín 1, máx 5) abrió {ConexionContada.abiertas} conexiones en {prestamos} "
            "préstamos: cierra cada devuelta si ya hay otra libre"
        )

    versiones = f"Python {platform.python_version()}, psycopg2 {psycopg2.__version__.split()[0]}"
    if psycopg_pool is not None:
        versiones += f", psycopg {psycopg.__version__}, psycopg_pool {psycopg_pool.__version__}"
    informe = [
        "",
        "Rendimiento del pool de conexiones (acceso_datos)",
        "=" * ANCHO,
        f"Servidor: {servidor}, PostgreSQL {version}.",
        f"{versiones}; logging sin configurar "
        f"(nivel efectivo {logging.getLevelName(log.getEffectiveLevel())}).",
        f"Máquina: {os.cpu_count()} núcleos, {nucleo}.",
        f"Carga media (1 min): {numero(carga_inicial, 2)} al empezar y "
        f"{numero(os.getloadavg()[0], 2)} al acabar (otros procesos añaden ruido).",
        f"Cada variante, en este mismo proceso: {RONDAS} rondas alternadas (el orden rota en "
        "cada una)",
        f"de {REPETICIONES} operaciones ({REPETICIONES_SIN_CONSULTA} sin consulta); "
        "se da la mediana de las rondas.",
        "«÷ X»: cuántas veces tarda cada operación frente a X, ronda a ronda (< 1 es más rápido).",
        "",
        *tabla_un_hilo(un_hilo),
        "",
        *tabla_sin_consulta(sin_consulta),
        "",
        *tabla_con_hilos(con_hilos, reconexiones),
        f"({HILOS} hilos × {OPERACIONES_POR_HILO} operaciones por ronda, "
        f"mediana de {RONDAS_CON_HILOS} rondas alternadas.)",
        "",
        *objetivos(un_hilo, sin_consulta, con_hilos),
        "",
        f"Duración total: {numero(time.monotonic() - inicio, 1)} s.",
    ]
    print("\n".join(informe))


def main() -> int:
    """Punto de entrada: mide e informa; 1 si el servidor no está disponible."""
    try:
        medir()
    except (ErrorAccesoDatos, psycopg2.Error) as error:
        print(f"Error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
