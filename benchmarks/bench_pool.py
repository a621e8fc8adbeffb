"""`make bench`: lo que gana el pool, medido junto a lo que se usaría en su lugar.

Siete medidas. Casi todas, en una base aparte (`<DB_NAME>_bench`) del mismo servidor que usa
el proyecto (el embebido o el configurado), que se crea al empezar y se borra al terminar;
las que necesitan otros servidores los arrancan para sí en esta máquina:

1. Rendimiento con 1, 4, 16 y 64 hilos: pedir una conexión, buscar un usuario por su
   clave primaria entre 10 000, confirmar y devolverla; nuestro `CursorDelPool` frente a
   las alternativas (ver `variantes.py`), en rondas alternadas.
2. Recorrer un millón de filas con `UsuarioDAO.iterar()` y con `seleccionar()`: tiempo y
   memoria residente máxima, cada uno en su propio proceso.
3. Lo que cuesta una conexión nueva frente a un préstamo del pool.
4. Lo que tardan un alta y un inicio de sesión con el coste de scrypt en vigor.
5. Lo que cuesta, llamada a llamada, esperar al servidor con límite (DB_QUERY_TIMEOUT) y
   limpiar la sesión al devolver (DB_POOL_RESET=DISCARD ALL).
6. Varios procesos a la vez, cada uno con su pool: directos al servidor y, si pgbouncer
   está instalado, a través de PgBouncer en modo transacción (ver `varios_procesos.py`);
   y más procesos de los que caben en un servidor pequeño (`sin_huecos.py`).
7. Lecturas solo en el primario frente a primario y réplica (`lecturas_en_replicas.py`).

Todas las cifras que se comparan salen de esta misma ejecución: en estas máquinas un
tiempo absoluto suelto dice poco. El informe sale por la consola y en
`benchmarks/RESULTADOS.md`. `--rapido` (`make bench RAPIDO=1`) acaba en menos de un minuto
y escribe en `benchmarks/RESULTADOS-rapido.md`, que git ignora: una medida rápida, con
ruido, nunca pisa la guardada.
"""

import argparse
import importlib.metadata
import os
import platform
import sys
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg2

from acceso_datos.conexion import Conexion, configuracion_resuelta
from acceso_datos.configuracion import Configuracion, leer_configuracion
from acceso_datos.consola import escribir_linea_a_linea
from acceso_datos.cursor_del_pool import CursorDelPool
from acceso_datos.dao_base import entero_devuelto
from acceso_datos.errores import ErrorAccesoDatos
from acceso_datos.esquema import crear_esquema
from acceso_datos.formato import numero, segundos
from acceso_datos.logger_base import configurar_logging
from acceso_datos.pool import COLARSE_HASTA
from benchmarks import variantes as v
from benchmarks.afinidad import nucleos_fijos
from benchmarks.base_de_medida import base_de_medida, llenar_personas, llenar_usuarios, url_de
from benchmarks.carga import Celda, Cociente, cociente, medir_en_rondas
from benchmarks.coste_conexion import CosteConexion, medir_coste_conexion
from benchmarks.coste_dao import (
    A_MANO,
    NUESTRO,
    OPERACIONES_DAO,
    VARIANTES_SQLALCHEMY,
    CosteDao,
    medir_coste_dao,
)
from benchmarks.coste_espera import REINICIO, CosteEspera, medir_coste_espera
from benchmarks.coste_password import CostePassword, medir_coste_password
from benchmarks.informe import (
    Bloque,
    Grafico,
    Progreso,
    Tabla,
    Titulo,
    en_consola,
    en_hilos,
    en_markdown,
    veces,
)
from benchmarks.lecturas_en_replicas import CARGAS, Lecturas, medir_lecturas_en_replicas
from benchmarks.lecturas_en_replicas import FORMAS as FORMAS_DE_LEER
from benchmarks.pgbouncer import INSTALAR, PgBouncer, buscar_pgbouncer
from benchmarks.recorrer import METODOS, Recorrido, medir_en_subproceso
from benchmarks.sin_huecos import FORMAS as FORMAS_SIN_HUECOS
from benchmarks.sin_huecos import PAUSA, SinHuecos, medir_sin_huecos
from benchmarks.varios_procesos import medir_formas

RESULTADOS = Path(__file__).resolve().with_name("RESULTADOS.md")
# La medida rápida no pisa la guardada en el repositorio: va a un archivo que git ignora.
RESULTADOS_RAPIDO = RESULTADOS.with_name("RESULTADOS-rapido.md")


@dataclass(frozen=True)
class Parametros:
    """Cuánto se mide; `RAPIDO` recorta rondas y filas, no lo que se mide."""

    usuarios: int = 10_000
    filas_recorrido: int = 1_000_000
    hilos: tuple[int, ...] = (1, 4, 16, 64)
    # Muchas rondas cortas mejor que pocas largas: cada cociente compara dos medidas más
    # próximas en el tiempo, y la mediana de muchos aguanta mejor las rachas de ruido.
    rondas: int = 21
    duracion: float = 0.2  # segundos de cada ronda
    conexiones_nuevas: int = 200
    prestamos: int = 2_000
    rondas_password: int = 11  # cada una, seis operaciones de unas décimas de segundo
    procesos: int = 8
    hilos_por_proceso: int = 4
    rondas_procesos: int = 7
    duracion_procesos: float = 1.0
    # Más clientes que conexiones: procesos × hilos contra un servidor de max_connections.
    procesos_sin_huecos: int = 8
    hilos_sin_huecos: int = 6
    max_connections: int = 20
    # Lecturas en réplicas: procesos × hilos, con las mismas rondas que los procesos.
    procesos_replicas: int = 2
    hilos_replicas: int = 4
    # El coste de la capa DAO: rondas de operaciones alternadas una a una con la versión a mano.
    rondas_dao: int = 21
    operaciones_dao: int = 300
    personas_dao: int = 1_000

    def __post_init__(self) -> None:
        if self.filas_recorrido < self.usuarios:
            raise ValueError("filas_recorrido no puede ser menor que usuarios")


COMPLETO = Parametros()
RAPIDO = Parametros(
    filas_recorrido=200_000,
    rondas=5,
    duracion=0.1,
    conexiones_nuevas=50,
    prestamos=500,
    rondas_password=3,
    rondas_procesos=2,
    duracion_procesos=0.5,
    rondas_dao=5,
    operaciones_dao=100,
)

# Nuestro pool con el tamaño del curso; se fija antes de crearlo.
ENTORNO_DEL_POOL = {
    "DB_POOL_MIN": "1",
    "DB_POOL_MAX": str(v.MAXIMO),
    "DB_POOL_TIMEOUT": str(v.ESPERA_MAXIMA),
    "DB_POOL_MAX_IDLE": "300",
    "DB_POOL_RESET": "",  # su coste se mide aparte (coste_espera.py)
    # Llenar un millón de filas es una sola orden de varios segundos; el plazo no cambia
    # lo que cuesta esperar con límite, que es lo que se mide.
    "DB_QUERY_TIMEOUT": "600",
    "DB_APPLICATION_NAME": "acceso_datos_bench",
    # Las réplicas se miden en la sección 7, con las suyas; en las demás, ninguna.
    "DB_REPLICAS": "",
    "DATABASE_URL_REPLICAS": "",
}

MB = 1_000_000  # los objetivos hablan de MB decimales

POOL_DE_PGBOUNCER = 10  # conexiones de PgBouncer al servidor, para todos los procesos
FORMAS = {
    "directo": "directo: cada proceso con su pool contra el servidor",
    "pgbouncer": f"a través de PgBouncer (modo transacción, {POOL_DE_PGBOUNCER} conexiones)",
}


@dataclass
class Resultados:
    parametros: Parametros
    servidor: str = ""
    contexto: list[str] = field(default_factory=list)
    celdas: dict[int, dict[str, Celda]] = field(default_factory=dict)
    reconexiones: dict[int, int] = field(default_factory=dict)  # del pool del curso, por hilos
    coste: CosteConexion | None = None
    espera: CosteEspera | None = None
    recorridos: dict[str, Recorrido] = field(default_factory=dict)
    password: CostePassword | None = None
    procesos: dict[str, Celda] = field(default_factory=dict)  # por forma de conectar
    conexiones_procesos: dict[str, int] = field(default_factory=dict)  # al servidor, máximo
    sin_huecos: SinHuecos | None = None
    lecturas: Lecturas | None = None
    coste_dao: CosteDao | None = None
    # Cómo se midieron las secciones de un solo proceso (1, 3, 5 y 8): núcleos fijos o no.
    afinidad: str = ""


# --- preparación -----------------------------------------------------------------------


def capacidad_del_servidor(parametros: dict[str, Any]) -> tuple[str, int]:
    """La versión del servidor y cuántas conexiones más admite ahora mismo."""
    conexion = psycopg2.connect(**parametros)
    try:
        with conexion.cursor() as cursor:
            cursor.execute(
                "SELECT current_setting('server_version'), "
                "current_setting('max_connections')::int "
                "- current_setting('superuser_reserved_connections')::int "
                "- (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')"
            )
            version, libres = cursor.fetchone()
    finally:
        conexion.close()
    return version.split()[0], libres


def crear_variantes(
    parametros: dict[str, Any], usuarios: int, recursos: ExitStack
) -> tuple[dict[str, v.Variante], dict[str, str]]:
    """Las variantes que se pueden medir y, de las demás, por qué no."""
    creadas, ausentes = {}, {}
    for clase in v.TODAS:
        paquete = v.FALTA_PAQUETE.get(clase.clave)
        if paquete:
            ausentes[clase.clave] = f"no medido: falta {paquete} (`make bench` lo instala)"
            continue
        variante = clase(parametros, usuarios)
        recursos.callback(variante.cerrar)
        creadas[clase.clave] = variante
    return creadas, ausentes


# --- medida ----------------------------------------------------------------------------


@dataclass
class Plan:
    """Qué variantes se miden con un número de hilos y, de las demás, por qué no."""

    hilos: int
    medibles: list[str]
    omitidas: dict[str, str]


def planear(
    hilos: tuple[int, ...], creadas: dict[str, v.Variante], ausentes: dict[str, str], libres: int
) -> list[Plan]:
    """Decide de antemano qué se mide: así el progreso sabe cuánto falta."""
    fijas = sum(variante.conexiones or 0 for variante in creadas.values())
    planes = []
    for numero_hilos in hilos:
        plan = Plan(numero_hilos, [], dict(ausentes))
        for clave, variante in creadas.items():
            if variante.max_hilos is not None and numero_hilos > variante.max_hilos:
                plan.omitidas[clave] = (
                    f"solo hasta {variante.max_hilos} hilos (una conexión por hilo)"
                )
            elif variante.conexiones is None and fijas + numero_hilos > libres:
                plan.omitidas[clave] = (
                    f"no medido: {numero_hilos} conexiones a la vez no caben en el servidor "
                    f"(admite {libres - fijas} más)"
                )
            else:
                plan.medibles.append(clave)
        planes.append(plan)
    return planes


def medir_rendimiento(
    resultados: Resultados,
    creadas: dict[str, v.Variante],
    planes: list[Plan],
    progreso: Progreso,
) -> None:
    """Para cada número de hilos, las variantes del plan en rondas alternadas."""
    p = resultados.parametros
    curso = creadas.get(v.PoolDelCurso.clave)
    assert curso is None or isinstance(curso, v.PoolDelCurso)  # la clave es la de su clase

    for plan in planes:
        progreso.fase(f"Rendimiento con {en_hilos(plan.hilos)}")
        preparadas = {}
        for clave in plan.medibles:
            preparadas[clave] = [creadas[clave].operacion_de_hilo(i) for i in range(plan.hilos)]
        antes = curso.reconexiones() if curso else 0

        def avisar(ronda: int, clave: str) -> None:
            etapa = "calentando" if ronda == 0 else f"ronda {ronda}/{p.rondas}"
            progreso.paso(f"{etapa}, {clave}")

        celdas = medir_en_rondas(preparadas, p.rondas, p.duracion, avisar)
        for clave, motivo in plan.omitidas.items():
            celdas[clave] = Celda(omitida=motivo)
        resultados.celdas[plan.hilos] = celdas
        if curso:
            resultados.reconexiones[plan.hilos] = curso.reconexiones() - antes


def medir_procesos(
    resultados: Resultados, medida: Configuracion, libres: int, progreso: Progreso
) -> None:
    """`procesos` procesos con su pool, directos y a través de PgBouncer, en rondas alternadas."""
    p = resultados.parametros
    # El entorno de este proceso ya apunta a la base de medida con el pool del curso.
    formas = {
        clave: {**os.environ, "DB_APPLICATION_NAME": f"acceso_datos_bench_{clave}"}
        for clave in FORMAS
    }
    omitidas = {}
    if p.procesos * v.MAXIMO > libres:
        omitidas["directo"] = (
            f"no medido: {p.procesos * v.MAXIMO} conexiones no caben en el servidor "
            f"(admite {libres} más)"
        )
    if buscar_pgbouncer() is None:
        omitidas["pgbouncer"] = f"no medido: falta pgbouncer ({INSTALAR})"
    with ExitStack() as recursos:
        if "pgbouncer" not in omitidas:
            pgbouncer = recursos.enter_context(PgBouncer(medida, tamano_pool=POOL_DE_PGBOUNCER))
            formas["pgbouncer"]["DATABASE_URL"] = url_de(pgbouncer.configuracion())
        observador = psycopg2.connect(**medida.parametros_conexion())
        observador.autocommit = True
        recursos.callback(observador.close)

        def contar_conexiones(clave: str) -> int:
            with observador.cursor() as cursor:
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s",
                    (formas[clave]["DB_APPLICATION_NAME"],),
                )
                return entero_devuelto(cursor)

        def avisar(ronda: int, clave: str) -> None:
            etapa = "calentando" if ronda == 0 else f"ronda {ronda}/{p.rondas_procesos}"
            progreso.paso(f"{etapa}, {clave}")

        progreso.fase(f"{p.procesos} procesos de {en_hilos(p.hilos_por_proceso)}")
        celdas, conexiones, _ = medir_formas(
            {clave: entorno for clave, entorno in formas.items() if clave not in omitidas},
            p.procesos,
            p.hilos_por_proceso,
            p.usuarios,
            p.rondas_procesos,
            p.duracion_procesos,
            avisar,
            contar_conexiones,
        )
    for clave, motivo in omitidas.items():
        celdas[clave] = Celda(omitida=motivo)
    resultados.procesos = {clave: celdas[clave] for clave in FORMAS}
    resultados.conexiones_procesos = conexiones


def medir_en_otros_servidores(resultados: Resultados, progreso: Progreso) -> None:
    """Lo que necesita servidores propios: uno pequeño (max_connections) y una réplica."""
    p = resultados.parametros

    def avisar(ronda: int, detalle: str) -> None:
        etapa = "calentando" if ronda == 0 else f"ronda {ronda}/{p.rondas_procesos}"
        progreso.paso(f"{etapa}, {detalle}")

    progreso.fase(
        f"{p.procesos_sin_huecos} procesos de {en_hilos(p.hilos_sin_huecos)} contra "
        f"max_connections={p.max_connections}"
    )
    resultados.sin_huecos = medir_sin_huecos(
        os.environ,
        p.procesos_sin_huecos,
        p.hilos_sin_huecos,
        p.usuarios,
        p.rondas_procesos,
        p.duracion_procesos,
        p.max_connections,
        avisar,
    )
    progreso.fase("Lecturas solo en el primario, o en el primario y su réplica")
    resultados.lecturas = medir_lecturas_en_replicas(
        os.environ,
        p.procesos_replicas,
        p.hilos_replicas,
        p.usuarios,
        p.rondas_procesos,
        p.duracion_procesos,
        avisar,
    )


def medir(parametros: Parametros, medida: Configuracion, embebido: bool) -> Resultados:
    """Llena la base de medida, mide cada cosa y devuelve los resultados."""
    p = parametros
    resultados = Resultados(p)
    conexion = medida.parametros_conexion()
    version, libres = capacidad_del_servidor(conexion)
    with Progreso() as progreso:
        with ExitStack() as recursos:  # las variantes se cierran al acabar de medirlas
            creadas, ausentes = crear_variantes(conexion, p.usuarios, recursos)
            planes = planear(p.hilos, creadas, ausentes, libres)
            # Las rondas de hilos y de procesos (las de la sección 6, las de los servidores
            # pequeños y las de las réplicas) y, además, preparar, coste de conectar, coste
            # de esperar, llenar, los dos recorridos y las contraseñas.
            progreso.total = (
                sum(len(plan.medibles) for plan in planes) * (p.rondas + 1)
                + (len(FORMAS) + len(FORMAS_SIN_HUECOS) + len(CARGAS) * len(FORMAS_DE_LEER))
                * (p.rondas_procesos + 1)
                + 8
            )
            progreso.fase(f"Preparando {numero(p.usuarios)} usuarios")
            crear_esquema()
            with CursorDelPool() as cursor:
                llenar_usuarios(cursor, p.usuarios)
            progreso.paso()
            with nucleos_fijos(conexion) as resultados.afinidad:
                medir_rendimiento(resultados, creadas, planes, progreso)
        Conexion.cerrar_conexiones()  # los procesos abren las suyas
        medir_procesos(resultados, medida, libres, progreso)
        medir_en_otros_servidores(resultados, progreso)

        with CursorDelPool() as cursor:
            llenar_personas(cursor, p.personas_dao)
        with nucleos_fijos(conexion):
            progreso.fase("Coste de una conexión nueva frente a un préstamo")
            resultados.coste = medir_coste_conexion(conexion, p.conexiones_nuevas, p.prestamos)
            progreso.paso()
            progreso.fase("Coste de esperar con límite y de DB_POOL_RESET")
            resultados.espera = medir_coste_espera(conexion, p.prestamos)
            progreso.paso()
            progreso.fase("Coste de la capa DAO: PersonaDAO frente a psycopg2 a mano y SQLAlchemy")
            resultados.coste_dao = medir_coste_dao(
                conexion, p.personas_dao, p.rondas_dao, p.operaciones_dao
            )
            progreso.paso()

        progreso.fase(f"Llenando hasta {numero(p.filas_recorrido)} filas")
        with CursorDelPool() as cursor:
            llenar_usuarios(cursor, p.filas_recorrido, desde=p.usuarios + 1)
            cursor.execute("ANALYZE usuario")
        progreso.paso()
        Conexion.cerrar_conexiones()  # los procesos hijos abren las suyas
        for metodo in METODOS:
            progreso.fase(f"Recorriendo {numero(p.filas_recorrido)} filas con {metodo}()")
            resultados.recorridos[metodo] = medir_en_subproceso(metodo, dict(os.environ))
            progreso.paso()
        # Al final: sus altas toman ids de la secuencia, que llenar_usuarios fija a mano.
        progreso.fase("Coste de las contraseñas: alta e inicio de sesión")
        resultados.password = medir_coste_password(p.rondas_password)
        progreso.paso()
    servidor = "el embebido del proyecto" if embebido else medida.destino()
    resultados.servidor = f"{servidor}, PostgreSQL {version}"
    return resultados


def ejecutar(parametros: Parametros, salida: Path, orden: str) -> Resultados:
    """Mide, imprime el informe y lo escribe en `salida`. Deja el entorno como estaba."""
    inicio = time.monotonic()
    carga = os.getloadavg()[0]
    guardado = dict(os.environ)
    try:
        os.environ.update(ENTORNO_DEL_POOL)
        Conexion.cerrar_conexiones()  # el pool se creará con el tamaño de arriba
        embebido = leer_configuracion().embebido
        configuracion = configuracion_resuelta().con(embebido=False)
        with base_de_medida(configuracion) as medida:
            os.environ["DATABASE_URL"] = url_de(medida)
            try:
                resultados = medir(parametros, medida, embebido)
            finally:
                Conexion.cerrar_conexiones()
    finally:
        os.environ.clear()
        os.environ.update(guardado)
    resultados.contexto = contexto(resultados, orden, carga, time.monotonic() - inicio)
    bloques = informe(resultados)
    print(en_consola(bloques), flush=True)
    salida.write_text(en_markdown(bloques, TITULO), encoding="utf-8")
    print(f"Informe guardado en {salida}.")
    return resultados


# --- el informe ------------------------------------------------------------------------

TITULO = "Rendimiento del pool de conexiones (acceso_datos)"


def version_de(paquete: str) -> str | None:
    try:
        return importlib.metadata.version(paquete)
    except importlib.metadata.PackageNotFoundError:
        return None


def modelo_de_cpu() -> str:
    try:
        for linea in Path("/proc/cpuinfo").read_text().splitlines():
            if linea.startswith("model name"):
                return linea.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def contexto(
    resultados: Resultados, orden: str, carga_inicial: float, segundos: float
) -> list[str]:
    """Cuándo, con qué orden, en qué máquina y contra qué servidor se midió."""
    paquetes = ("psycopg2-binary", "psycopg", "psycopg-pool", "SQLAlchemy")
    versiones = ", ".join(
        f"{paquete} {version}" for paquete in paquetes if (version := version_de(paquete))
    )
    return [
        f"Fecha: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC. Orden: `{orden}`.",
        f"Máquina: {os.cpu_count()} núcleos ({modelo_de_cpu()}), {platform.system()} "
        f"{platform.machine()}, Python {platform.python_version()}; {versiones}.",
        f"Servidor: {resultados.servidor}.",
        f"Las secciones de un solo proceso (1, 3, 5 y 8), con {resultados.afinidad}: donde "
        "caigan, un viaje al servidor tarda el triple o un tercio según la conexión y el "
        "momento, y el control del ruido iba de 0,35× a 2,9× (ver benchmarks/afinidad.py).",
        f"Carga media (1 min): {numero(carga_inicial, 2)} al empezar y "
        f"{numero(os.getloadavg()[0], 2)} al acabar. Duración: {numero(segundos)} s.",
    ]


def _celda_de_rendimiento(celda: Celda, nuestra: Celda) -> list[str]:
    if celda.omitida:
        return ["—", "—", celda.omitida]
    frente = cociente(celda, nuestra)
    return [
        numero(celda.mediana),
        f"{veces(frente.mediana)} ({numero(frente.minimo, 2)}–{numero(frente.maximo, 2)})",
        "",
    ]


def tablas_de_rendimiento(resultados: Resultados) -> list[Bloque]:
    p = resultados.parametros
    bloques: list[Bloque] = [
        Titulo("1. Rendimiento con hilos"),
        f"Cada operación: pedir una conexión, `SELECT` de un usuario por su clave primaria "
        f"(entre {numero(p.usuarios)}), commit y devolverla. Nuestro pool con el tamaño del "
        f"curso (mínimo 1, máximo {v.MAXIMO}); los demás pools, con {v.MAXIMO} conexiones. "
        f"{p.rondas} rondas alternadas de {numero(p.duracion, 1)} s por variante; se da la "
        "mediana de operaciones por segundo y la del cociente de sus ops/s entre las del "
        "nuestro, ronda a ronda, con su mínimo y su máximo (más de 1: más rápido que el "
        "nuestro). El nuestro espera al servidor con límite (DB_QUERY_TIMEOUT: cada espera, "
        "anotada para el vigía de `vigia`); las demás variantes de psycopg2, sin límite, "
        "como se usarían; «con la espera acotada» aísla lo que cuesta.",
    ]
    nombres = v.nombres()
    for hilos, celdas in resultados.celdas.items():
        nuestra = celdas[v.NuestroPool.clave]
        tabla = Tabla(
            en_hilos(hilos),
            ["variante", "ops/s", "÷ las del nuestro (mín–máx)", "nota"],
            texto=(0, 3),
        )
        for clave, nombre in nombres.items():
            celda = celdas[clave]
            fila = [nombre, *_celda_de_rendimiento(celda, nuestra)]
            notas = [fila[3]] if fila[3] else []  # por qué no se midió, si no se midió
            if clave == v.PoolDelCurso.clave and not celda.omitida:
                rechazos = celda.rechazadas / max(celda.intentos, 1)
                notas.append(
                    f"PoolError: {numero(100 * rechazos, 1)} % de los intentos; "
                    f"{numero(resultados.reconexiones[hilos])} reconexiones"
                )
            if hilos > v.MAXIMO and not celda.omitida:
                notas.append(f"{numero(celda.parados)} de {hilos} hilos sin ninguna operación")
            fila[3] = "; ".join(notas)
            tabla.filas.append(fila)
        bloques.append(tabla)
    bloques.append(grafico_de_hilos(resultados))
    bloques.append(
        "Con más hilos que conexiones, la nota dice cuántos hilos no acabaron ninguna "
        "operación en toda la ronda (mediana entre rondas). Un pool que no reparte por turno "
        "(el semáforo, el QueuePool) va deprisa porque unos pocos hilos se quedan las "
        "conexiones y el resto espera: con DB_POOL_TIMEOUT de 30 s, en un programa de verdad "
        "esos hilos acabarían en error. El nuestro deja colarse solo a quien llega cuando se "
        f"devuelve una y, pasados {segundos(COLARSE_HASTA)} de espera (COLARSE_HASTA), la "
        "entrega por turno."
    )
    bloques.append(
        "Las ops/s del pool del curso cuentan solo las operaciones que consiguió hacer: "
        "cuando sus 5 conexiones están prestadas, `getconn()` lanza `PoolError` en lugar de "
        "esperar. Además, al devolver cierra la conexión si ya tiene otra libre y la próxima "
        "vez vuelve a conectar (las reconexiones de la nota)."
    )
    return bloques


def grafico_de_hilos(resultados: Resultados) -> Grafico:
    """Ops/s frente a hilos, una línea por variante medida con todos los números de hilos."""
    hilos = list(resultados.celdas)
    series = {}
    for clave, nombre in v.nombres().items():
        celdas = [resultados.celdas[numero][clave] for numero in hilos]
        if clave != v.Control.clave and not any(celda.omitida for celda in celdas):
            series[nombre] = [celda.mediana for celda in celdas]
    return Grafico(
        "Operaciones por segundo según los hilos (mediana)",
        "hilos",
        [str(numero) for numero in hilos],
        "ops/s",
        series,
    )


def tabla_de_procesos(resultados: Resultados) -> list[Bloque]:
    p = resultados.parametros
    directo = resultados.procesos["directo"]
    tabla = Tabla(
        f"{p.procesos} procesos × {en_hilos(p.hilos_por_proceso)}",
        [
            "forma de conectar",
            "ops/s",
            "÷ las de directo (mín–máx)",
            "conexiones al servidor",
            "errores",
            "nota",
        ],
        texto=(0, 5),
    )
    for clave, nombre in FORMAS.items():
        celda = resultados.procesos[clave]
        if celda.omitida:
            tabla.filas.append([nombre, "—", "—", "—", "—", celda.omitida])
            continue
        frente = "—"
        if not directo.omitida:
            medido = cociente(celda, directo)
            frente = (
                f"{veces(medido.mediana)} ({numero(medido.minimo, 2)}–{numero(medido.maximo, 2)})"
            )
        tabla.filas.append(
            [
                nombre,
                numero(celda.mediana),
                frente,
                numero(resultados.conexiones_procesos[clave]),
                numero(celda.rechazadas),
                "",
            ]
        )
    return [
        Titulo("6. Varios procesos"),
        f"{p.procesos} procesos a la vez, como {p.procesos} copias del programa, cada uno con "
        f"nuestro pool (mínimo 1, máximo {v.MAXIMO}) y {en_hilos(p.hilos_por_proceso)} que "
        "repiten `UsuarioDAO.buscar_por_id`: directos al servidor (cada proceso abre hasta "
        f"{v.MAXIMO} conexiones) o todos a través de PgBouncer en modo transacción, que usa "
        f"{POOL_DE_PGBOUNCER} conexiones al servidor para todos. {p.rondas_procesos} rondas "
        f"alternadas de {numero(p.duracion_procesos, 1)} s; ops/s de todos los procesos "
        "juntos (mediana de las rondas) y el cociente ronda a ronda frente a directo. Las "
        "conexiones al servidor son las que quedaron abiertas tras una ronda (el máximo).",
        tabla,
        *tabla_sin_huecos(resultados),
    ]


def _frente_a(celda: Celda, referencia: Celda) -> str:
    """El cociente de ops/s ronda a ronda, «1,23× (0,90–1,50)», o «—» si falta uno."""
    if celda.omitida or referencia.omitida:
        return "—"
    medido = cociente(celda, referencia)
    return f"{veces(medido.mediana)} ({numero(medido.minimo, 2)}–{numero(medido.maximo, 2)})"


def tabla_sin_huecos(resultados: Resultados) -> list[Bloque]:
    medida = resultados.sin_huecos
    if medida is None:
        return []
    p = resultados.parametros
    pedidas = p.procesos_sin_huecos * min(p.hilos_sin_huecos, v.MAXIMO)
    tabla = Tabla(
        f"{p.procesos_sin_huecos} procesos × {en_hilos(p.hilos_sin_huecos)} contra "
        f"max_connections={medida.max_connections}",
        [
            "forma de conectar",
            "ops/s",
            "operaciones fallidas (53300)",
            "% de los intentos",
            "conexiones al servidor",
            "nota",
        ],
        texto=(0, 5),
    )
    for clave, nombre in FORMAS_SIN_HUECOS.items():
        celda = medida.celdas[clave]
        if celda.omitida:
            tabla.filas.append([nombre, "—", "—", "—", "—", celda.omitida])
            continue
        fallidas = medida.errores_53300[clave]
        tabla.filas.append(
            [
                nombre,
                numero(celda.mediana),
                numero(fallidas),
                numero(100 * fallidas / max(celda.intentos, 1), 1),
                numero(medida.conexiones[clave]),
                "" if fallidas == celda.rechazadas else f"{celda.rechazadas} errores en total",
            ]
        )
    return [
        "**Más clientes que conexiones.** Es el caso para el que existe PgBouncer: "
        f"{p.procesos_sin_huecos} procesos de {en_hilos(p.hilos_sin_huecos)}, cada uno con "
        f"nuestro pool (máximo {v.MAXIMO}), piden hasta {pedidas} conexiones a un servidor "
        f"que la medida arranca con max_connections={medida.max_connections}. Cada operación "
        f"es una transacción de {numero(PAUSA * 1000)} ms (buscar un usuario y `pg_sleep`). "
        "Directos, quien no cabe recibe `ConexionError` (SQLSTATE 53300), y su hilo lo "
        "reintenta tras esa misma pausa, como un programa; a través de PgBouncer en modo "
        f"transacción ({medida.pool_de_pgbouncer} conexiones al servidor para todos), espera "
        "su turno dentro de PgBouncer. Cada forma tiene su propio servidor, igual que el "
        "otro; rondas alternadas como las de arriba. Las ops/s cuentan solo las operaciones "
        "que salieron bien.",
        tabla,
    ]


def tabla_de_replicas(resultados: Resultados) -> list[Bloque]:
    lecturas = resultados.lecturas
    assert lecturas is not None
    p = resultados.parametros
    bloques: list[Bloque] = [
        Titulo("7. Lecturas en réplicas"),
        f"{p.procesos_replicas} procesos de {en_hilos(p.hilos_replicas)} repiten "
        "`UsuarioDAO.buscar_por_id`, sola (sin `cursor=`), contra un primario y su réplica "
        "asíncrona que la medida arranca en esta misma máquina: unos sin réplicas, todo en el "
        "primario; otros con DB_REPLICAS, donde cada lectura va a la réplica si está al día. "
        f"{p.rondas_procesos} rondas alternadas de {numero(p.duracion_procesos, 1)} s. Con "
        "una escritura (`UsuarioDAO.actualizar`) de cada diez operaciones, las lecturas de ese "
        "proceso van al primario hasta que la réplica aplica la escritura (leer lo propio).",
    ]
    for carga, (nombre_de_carga, _) in CARGAS.items():
        celdas = lecturas.celdas[carga]
        primario = celdas["primario"]
        tabla = Tabla(
            f"{nombre_de_carga.capitalize()}: {p.procesos_replicas} procesos × "
            f"{en_hilos(p.hilos_replicas)}",
            ["dónde se lee", "ops/s", "÷ las de solo el primario (mín–máx)", "en la réplica"],
        )
        for clave, nombre in FORMAS_DE_LEER.items():
            celda = celdas[clave]
            servidas = "—"
            if clave == "replica":
                servidas = f"{numero(100 * lecturas.en_replica(carga), 1)} %"
            tabla.filas.append(
                [nombre, numero(celda.mediana), _frente_a(celda, primario), servidas]
            )
        bloques.append(tabla)
    bloques.append(
        "En la réplica, una lectura es una sola sentencia en autocommit: un viaje al "
        "servidor, frente a los tres del primario (BEGIN, la consulta y COMMIT); parte de la "
        "diferencia es eso, no la réplica. Aquí el primario y la réplica comparten los "
        "núcleos de la máquina: lo que la réplica le quita al primario se lo quita a la "
        "vez a la propia medida. En otra máquina, la réplica suma su CPU y su disco en vez "
        "de repartirlos, y cada viaje cuesta lo que cueste la red (de 0,1 a 1 ms en una red "
        "local, frente a unos 0,05 ms aquí), así que ahorrar dos de tres viajes pesa más."
    )
    return bloques


def tabla_de_coste_dao(coste: CosteDao, afinidad: str) -> list[Bloque]:
    tabla = Tabla(
        "",
        ["operación", "variante", "µs por operación", "÷ a mano (mín–máx)"],
        texto=(0, 1),
    )
    for operacion in OPERACIONES_DAO:
        for variante in (A_MANO, NUESTRO, *VARIANTES_SQLALCHEMY):
            if variante in coste.omitidas:
                tabla.filas.append([operacion, variante, "—", coste.omitidas[variante]])
                continue
            cocientes = coste.cocientes[(operacion, variante)]
            tabla.filas.append(
                [
                    operacion,
                    variante,
                    numero(coste.mediana_us(operacion, variante)),
                    f"{veces(coste.cociente(operacion, variante))} "
                    f"({numero(min(cocientes), 2)}–{numero(max(cocientes), 2)})",
                ]
            )
    tabla.notas += [
        f"Un hilo; cada variante, en rondas de {coste.operaciones} operaciones alternadas una a "
        "una con la versión a mano (en un orden al azar); se da la mediana de las rondas. "
        "El cociente es ops/s de la variante ÷ las de a mano, ronda a ronda (más de 1: más "
        "rápida).",
        f"Medido con {afinidad}; sin fijarlos, el cociente salía de 0,3× a 2× sin cambiar "
        "el código (ver benchmarks/afinidad.py).",
    ]
    return [
        Titulo("8. El coste de la capa DAO"),
        "La misma operación por PersonaDAO (validar, pedir la conexión al pool, esperar al "
        "servidor con límite, confirmar, traducir los errores y devolverla), escrita a mano "
        "con psycopg2 sobre una conexión persistente, y con SQLAlchemy, lo que elegiría "
        "quien no usara este proyecto.",
        tabla,
    ]


def tabla_de_coste(coste: CosteConexion) -> list[Bloque]:
    tabla = Tabla(
        f"Por {coste.via}",
        ["operación", "mediana (µs)", "veces un préstamo"],
        [
            [
                "psycopg2.connect(), conexión nueva",
                numero(coste.nueva_us, 1),
                veces(coste.cociente),
            ],
            [
                "Conexion.obtener_conexion() + liberar_conexion()",
                numero(coste.prestamo_us, 1),
                veces(1),
            ],
        ],
    )
    return [Titulo("3. Coste de una conexión"), tabla]


def con_signo(microsegundos: float) -> str:
    return ("+" if microsegundos >= 0 else "−") + numero(abs(microsegundos), 1)


def tabla_de_espera(espera: CosteEspera, repeticiones: int) -> list[Bloque]:
    tabla = Tabla(
        "",
        ["llamada", "sin (µs)", "con (µs)", "diferencia (µs)"],
        [
            [
                "buscar un usuario y confirmar por una conexión persistente: "
                "sin y con la espera acotada",
                numero(espera.consulta_us, 1),
                numero(espera.consulta_acotada_us, 1),
                con_signo(espera.espera_extra_us),
            ],
            [
                f"prestar y devolver una conexión: sin y con DB_POOL_RESET={REINICIO}",
                numero(espera.devolver_us, 1),
                numero(espera.devolver_con_reinicio_us, 1),
                con_signo(espera.reinicio_extra_us),
            ],
        ],
    )
    return [
        Titulo("5. Lo que cuesta esperar con límite y limpiar al devolver"),
        f"Medianas de {numero(repeticiones)} llamadas de cada clase, alternando sin y con, "
        "con un solo hilo: son microsegundos que en las rondas de rendimiento se pierden en "
        "el ruido. La espera acotada es la anotación de cada espera para el vigía de "
        "`vigia` (DB_QUERY_TIMEOUT); sin ella, psycopg2 espera en libpq sin límite.",
        tabla,
    ]


def tabla_de_recorridos(resultados: Resultados) -> list[Bloque]:
    filas = []
    for metodo, recorrido in resultados.recorridos.items():
        filas.append(
            [
                f"UsuarioDAO.{metodo}()",
                numero(recorrido.filas),
                numero(recorrido.segundos, 2),
                numero(recorrido.crecimiento_kib * 1024 / MB, 1),
            ]
        )
    return [
        Titulo("2. Recorrer la tabla entera"),
        "Cada método en un proceso nuevo; la memoria es lo que crece su memoria residente "
        "máxima (RSS) sobre la que tenía con el pool ya abierto.",
        Tabla(
            f"{numero(resultados.parametros.filas_recorrido)} filas",
            ["método", "filas", "segundos", "crecimiento de RSS (MB)"],
            filas,
        ),
    ]


def tabla_de_password(password: CostePassword) -> list[Bloque]:
    coste = password.coste
    tabla = Tabla(
        f"scrypt con N={numero(coste.n)}, r={coste.r}, p={coste.p} "
        f"({numero(128 * coste.n * coste.r / 2**20)} MiB por hash)",
        ["operación", "mínimo (s)", "mediana (s)"],
        [
            [
                operacion,
                numero(password.minimo(operacion), 3),
                numero(password.mediana(operacion), 3),
            ]
            for operacion in password.segundos
        ],
    )
    return [
        Titulo("4. Coste de las contraseñas"),
        f"Cada operación de `UsuarioDAO`, {password.rondas} veces alternadas, con el coste de "
        "`PASSWORD_SCRYPT_N` y `PASSWORD_SCRYPT_P` en vigor; `generar_hash()` sin base es la "
        "parte de scrypt. Un inicio de sesión que mejora un hash verifica el de antes y "
        "calcula y guarda el nuevo.",
        tabla,
    ]


def tabla_de_objetivos(resultados: Resultados) -> list[Bloque]:
    tabla = Tabla("", ["objetivo", "medido", "¿se cumple?"], texto=(0, 2))
    nuestro = v.NuestroPool.clave

    def medir_frente_a(hilos: int, clave: str, de: str = nuestro) -> Cociente | None:
        celdas = resultados.celdas.get(hilos, {})
        if any(c not in celdas or celdas[c].omitida for c in (clave, de)):
            return None
        return cociente(celdas[de], celdas[clave])

    def con_rango(medido: Cociente) -> str:
        return f"{veces(medido.mediana)} ({numero(medido.minimo, 2)}–{numero(medido.maximo, 2)})"

    def frente_a(hilos: int, clave: str, minimo: float, texto: str) -> None:
        medido = medir_frente_a(hilos, clave)
        if medido is None:
            tabla.filas.append([texto, "no medido", "—"])
            return
        # Se compara la cifra que se muestra: «1,00×» junto a un «NO» confundiría.
        cumple = "sí" if round(medido.mediana, 2) >= minimo else "NO"
        ruido = medir_frente_a(hilos, v.Control.clave)
        if ruido and ruido.minimo <= medido.mediana <= ruido.maximo:
            cumple += " (dentro del ruido)"
        tabla.filas.append([texto, con_rango(medido), cumple])

    # El nuestro espera con límite (el vigía); la persistente y el semáforo, sin límite:
    # los objetivos incluyen lo que cuesta el mecanismo.
    frente_a(1, v.Persistente.clave, 0.9, "nuestro ≥ 0,90× la conexión persistente, 1 hilo")
    frente_a(
        16, v.ThreadedConSemaforo.clave, 0.95, "nuestro ≥ 0,95× el pool con semáforo, 16 hilos"
    )
    frente_a(
        64, v.ThreadedConSemaforo.clave, 0.95, "nuestro ≥ 0,95× el pool con semáforo, 64 hilos"
    )
    for hilos in (16, 64):
        medido = medir_frente_a(hilos, v.ThreadedConSemaforoAcotado.clave)
        if medido:
            texto = f"pool frente a pool, los dos con la espera acotada, {en_hilos(hilos)}"
            tabla.filas.append([texto, con_rango(medido), "—"])
    frente_a(16, v.PsycopgPool.clave, 1.5, "nuestro ≥ 1,50× psycopg_pool, 16 hilos")
    frente_a(1, v.ConectarCadaVez.clave, 20.0, "nuestro ≥ 20× conectar cada vez, 1 hilo")
    mecanismo = medir_frente_a(1, v.Persistente.clave, de=v.PersistenteConEsperaAcotada.clave)
    if mecanismo:
        texto = "coste de la espera acotada: persistente con ella ÷ sin ella, 1 hilo"
        tabla.filas.append([texto, con_rango(mecanismo), "—"])
    if resultados.espera:
        espera = resultados.espera
        tabla.filas += [
            [
                "coste de la espera acotada por operación (3 viajes al servidor)",
                f"{con_signo(espera.espera_extra_us)} µs sobre {numero(espera.consulta_us)} µs",
                "—",
            ],
            [
                f"coste de DB_POOL_RESET={REINICIO} por devolución",
                f"{con_signo(espera.reinicio_extra_us)} µs",
                "—",
            ],
        ]
    sin_huecos = resultados.sin_huecos
    if sin_huecos and not sin_huecos.celdas["pgbouncer"].omitida:
        fallidas = sin_huecos.errores_53300
        tabla.filas.append(
            [
                "más clientes que max_connections: ninguna operación fallida a través de PgBouncer",
                f"{numero(fallidas['pgbouncer'])} (directos: {numero(fallidas['directo'])})",
                "sí" if sin_huecos.celdas["pgbouncer"].rechazadas == 0 else "NO",
            ]
        )
    if resultados.lecturas:
        lecturas = resultados.lecturas
        for carga, (nombre, _) in CARGAS.items():
            celdas = lecturas.celdas[carga]
            tabla.filas.append(
                [
                    f"primario y réplica ÷ solo el primario, {nombre}",
                    _frente_a(celdas["replica"], celdas["primario"]),
                    "—",
                ]
            )
            tabla.filas.append(
                [
                    f"lecturas servidas en la réplica, {nombre}",
                    f"{numero(100 * lecturas.en_replica(carga), 1)} %",
                    "—",
                ]
            )
    if resultados.coste_dao:
        for operacion in OPERACIONES_DAO:
            cociente_dao = resultados.coste_dao.cociente(operacion, NUESTRO)
            tabla.filas.append(
                [
                    f"PersonaDAO.{operacion} ≥ 0,90× psycopg2 a mano, 1 hilo",
                    veces(cociente_dao),
                    "sí" if round(cociente_dao, 2) >= 0.9 else "NO",
                ]
            )
    if resultados.coste:
        cumple = "sí" if resultados.coste.cociente >= 20 else "NO"
        tabla.filas.append(
            ["conexión nueva ≥ 20× un préstamo", veces(resultados.coste.cociente), cumple]
        )
    recorridos = resultados.recorridos
    if set(recorridos) == set(METODOS):
        iterar = recorridos["iterar"].crecimiento_kib * 1024 / MB
        seleccionar = recorridos["seleccionar"].crecimiento_kib * 1024 / MB
        tabla.filas.append(
            [
                "iterar() crece menos de 50 MB de RSS",
                f"{numero(iterar, 1)} MB (seleccionar: {numero(seleccionar, 1)} MB)",
                "sí" if iterar < 50 else "NO",
            ]
        )
    for hilos in resultados.celdas:
        control = medir_frente_a(hilos, v.Control.clave)
        if control:
            texto = f"control: el nuestro frente a sí mismo, {en_hilos(hilos)}"
            tabla.filas.append([texto, con_rango(control), "—"])
    tabla.notas += [
        "Los cocientes van al revés que en las tablas de arriba: ops/s del nuestro ÷ ops/s "
        "del otro, ronda a ronda (mín–máx); más de 1 es que el nuestro es más rápido.",
        "El control mide el ruido: el nuestro frente a sí mismo debería dar 1,00×; su "
        "mínimo y su máximo son la banda en la que una diferencia no significa nada "
        "(«dentro del ruido»: la mediana cae en la banda del control con esos hilos).",
    ]
    return [Titulo("Objetivos"), tabla]


def informe(resultados: Resultados) -> list[Bloque]:
    bloques: list[Bloque] = [*resultados.contexto]
    bloques += tablas_de_rendimiento(resultados)
    bloques += tabla_de_recorridos(resultados)
    if resultados.coste:
        bloques += tabla_de_coste(resultados.coste)
    if resultados.password:
        bloques += tabla_de_password(resultados.password)
    if resultados.espera:
        bloques += tabla_de_espera(resultados.espera, resultados.parametros.prestamos)
    if resultados.procesos:
        bloques += tabla_de_procesos(resultados)
    if resultados.lecturas:
        bloques += tabla_de_replicas(resultados)
    if resultados.coste_dao:
        bloques += tabla_de_coste_dao(resultados.coste_dao, resultados.afinidad)
    bloques += tabla_de_objetivos(resultados)
    return bloques


# --- el programa -----------------------------------------------------------------------


def main(argumentos: list[str] | None = None) -> int:
    """Punto de entrada: mide e informa; 1 si algo falla, 130 si se interrumpe."""
    analizador = argparse.ArgumentParser(
        prog="python -m benchmarks.bench_pool", description=__doc__.splitlines()[0]
    )
    analizador.add_argument(
        "--rapido", action="store_true", help="menos rondas y filas: menos de un minuto"
    )
    analizador.add_argument(
        "--salida",
        type=Path,
        help=f"archivo Markdown del informe (por defecto {RESULTADOS.name}, o "
        f"{RESULTADOS_RAPIDO.name} con --rapido)",
    )
    opciones = analizador.parse_args(argumentos)
    orden = "make bench RAPIDO=1" if opciones.rapido else "make bench"
    salida = opciones.salida or (RESULTADOS_RAPIDO if opciones.rapido else RESULTADOS)
    try:
        archivo_log = leer_configuracion().log_file
        # Solo avisos: el detalle DEBUG de cada préstamo costaría tiempo y se mediría.
        configurar_logging("WARNING", archivo_log)
    except ErrorAccesoDatos as error:
        print(f"Error de configuración: {error}", file=sys.stderr)
        return 1
    except OSError as error:
        print(
            f"No se puede escribir el log en {archivo_log} ({error.strerror}). "
            "Cambie LOG_FILE a un archivo que se pueda escribir.",
            file=sys.stderr,
        )
        return 1
    try:
        ejecutar(RAPIDO if opciones.rapido else COMPLETO, salida, orden)
    except KeyboardInterrupt:
        print("\nMedida interrumpida.", file=sys.stderr)
        return 130
    except (ErrorAccesoDatos, psycopg2.Error, RuntimeError, OSError) as error:
        print(f"\nError: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    escribir_linea_a_linea()  # el progreso, también con `make bench | tee`
    sys.exit(main())
