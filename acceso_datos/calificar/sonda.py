"""La sonda: se ejecuta dentro del proceso de una entrega y mide lo que hace su código.

Se lanza como `python -I sonda.py ENCARGO.json` (nunca se importa desde la biblioteca): solo
usa la biblioteca estándar y psycopg2, porque corre con las rutas de la entrega. Antes de
tocar el código del alumno se pone sus límites (memoria, CPU, tamaño de archivo) y desvía
todo `psycopg2.connect` (también el de los pools de psycopg2, que lo llaman por dentro) a la
base desechable de la entrega, sea cual sea el servidor, puerto o contraseña que traiga
escritos. Escribe lo medido, una línea JSON por hecho, en el archivo de resultados.

Dos modos: «biblioteca» ejecuta comprobaciones una tras otra, cada una con los módulos de
la entrega importados de nuevo (un programa recién arrancado); «menu» ejecuta el menú como
programa principal con la entrada que le da el calificador, y anota cada lectura.
"""

import base64
import builtins
import errno
import gc
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import io
import json
import os
import resource
import runpy
import secrets
import signal
import sys
import threading
import traceback
import weakref
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, redirect_stdout, suppress
from pathlib import Path
from types import FrameType, ModuleType, TracebackType
from typing import Any, NoReturn

import psycopg2
import psycopg2.extensions
import psycopg2.pool

BIEN, MAL, NO_APLICA = "bien", "mal", "no_aplica"
TABLAS = ("usuario", "usuarios")
SEMBRADOS = ((1, "ana", "Ana-1234"), (2, "beto", "Beto-1234"))
# Todas las contraseñas que usa la sonda: ninguna debe llegar a un informe.
PASSWORDS = {"Ana-1234", "Beto-1234", "Carla-1234", "Nueva-1234", "Clave-1234"}
RECHAZADO = "rechazado-por-la-base"  # la restricción CHECK de esquema_entrega.sql lo rechaza
HILOS = 6
ESPERA_DE_LA_PUERTA = 0.5  # s: lo que un hilo espera a los demás dentro de «crear el pool»
MAXIMO_A_AGOTAR = 20  # conexiones: un máximo mayor no se llena
LECTURAS_TRAS_EL_FIN = 5  # input() tras el fin de la entrada: a partir de aquí, bucle
APLICACION = "calificador"  # application_name de la conexión propia (no cuenta como de la entrega)


class NoAplica(Exception):
    """La comprobación no se puede hacer en esta entrega; el mensaje dice por qué."""


class FalloDeLaEntrega(Exception):
    """Una llamada al código de la entrega lanzó una excepción (o llamó a sys.exit)."""

    def __init__(self, que: str, error: BaseException):
        super().__init__(que)
        self.que = que
        self.error = error

    def describir(self) -> str:
        return f"{self.que} {describir_error(self.error)}"


class TiempoAgotado(BaseException):
    """La comprobación pasó de su límite (BaseException: un `except Exception` del alumno
    no la para)."""


class EntradaAlImportar(Exception):
    """El módulo pidió datos con input() al importarse."""


class ErrorProvocado(Exception):
    """La excepción que el calificador lanza dentro de un `with CursorDelPool()`."""


# --- resultados ---------------------------------------------------------------------------


class Resultados:
    """El archivo de resultados: una línea JSON por hecho, escrita al momento."""

    def __init__(self, ruta: str):
        self._archivo = open(ruta, "a", encoding="utf-8")  # noqa: SIM115 (vive todo el proceso)
        self._candado = threading.Lock()

    def anotar(self, **datos: Any) -> None:
        with self._candado:
            self._archivo.write(json.dumps(datos, ensure_ascii=False) + "\n")
            self._archivo.flush()


# --- límites y desvío de psycopg2 ---------------------------------------------------------


def limitar_recursos(limites: dict[str, int]) -> None:
    """Memoria, CPU y tamaño de archivo del proceso: un bucle sin fin o una salida sin fin
    se cortan aquí; el calificador, además, mata el grupo de procesos al pasar el tiempo."""
    for nombre, recurso in (
        ("memoria", resource.RLIMIT_AS),
        ("cpu", resource.RLIMIT_CPU),
        ("archivo", resource.RLIMIT_FSIZE),
    ):
        resource.setrlimit(recurso, (limites[nombre], limites[nombre]))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


class CursorVigilado(psycopg2.extensions.cursor):
    """Cursor que anota cada sentencia: así se sabe qué hace un módulo al importarse."""

    def execute(self, query: Any, vars: Any = None) -> None:
        DESVIO.anotar_sentencia(query)
        super().execute(query, vars)


class Puerta:
    """Retiene a cada hilo que llega hasta que lleguen todos o pase la espera.

    Ensancha a propósito la ventana de «crear el pool»: sin candado, los seis hilos entran
    a la vez y cada uno crea el suyo; con candado, uno espera aquí y los demás en el candado.
    """

    def __init__(self, hilos: int, espera: float):
        self._hilos = hilos
        self._espera = espera
        self._dentro: set[int] = set()
        self._condicion = threading.Condition()

    def pasar(self) -> None:
        with self._condicion:
            if threading.get_ident() in self._dentro:
                return  # cada hilo espera una sola vez
            self._dentro.add(threading.get_ident())
            self._condicion.notify_all()
            self._condicion.wait_for(lambda: len(self._dentro) >= self._hilos, self._espera)


class Desvio:
    """Lo que sustituye a psycopg2.connect y vigila a los pools de psycopg2."""

    def __init__(self) -> None:
        self.base: dict[str, Any] = {}
        self.fallar = False  # conectar a una base que no existe: «la base no responde»
        self.puerta: Puerta | None = None
        # Referencias débiles: una conexión que el programa suelta se cierra al recogerla
        # Python, como pasaría sin el calificador mirando.
        self._abiertas: list[weakref.ref[psycopg2.extensions.connection]] = []
        self.pools: list[psycopg2.pool.AbstractConnectionPool] = []
        self.sentencias: list[str] = []
        self.conectar_de_verdad: Callable[..., psycopg2.extensions.connection] = psycopg2.connect
        self._candado = threading.Lock()

    def instalar(self, base: dict[str, Any]) -> None:
        self.base = base
        self.conectar_de_verdad = psycopg2.connect
        psycopg2.connect = self.conectar  # type: ignore[assignment]  # la misma firma, sin sobrecargas
        iniciar = psycopg2.pool.AbstractConnectionPool.__init__

        def iniciar_pool(pool: Any, *args: Any, **kwargs: Any) -> None:
            with self._candado:
                self.pools.append(pool)
            if self.puerta is not None:
                self.puerta.pasar()
            iniciar(pool, *args, **kwargs)

        psycopg2.pool.AbstractConnectionPool.__init__ = iniciar_pool  # type: ignore[method-assign, assignment]

    def conectar(
        self,
        dsn: Any = None,
        connection_factory: Any = None,
        cursor_factory: Any = None,
        **kwargs: Any,
    ) -> psycopg2.extensions.connection:
        """Conecta a la base de la entrega, con lo que traiga escrito la entrega o no."""
        if self.puerta is not None:
            self.puerta.pasar()
        parametros = dict(self.base)
        if self.fallar:
            parametros["dbname"] = f"{parametros['dbname']}_no_existe"
        conexion = self.conectar_de_verdad(
            connection_factory=connection_factory,
            cursor_factory=cursor_factory or CursorVigilado,
            application_name="entrega",
            connect_timeout=5,
            **parametros,
        )
        with self._candado:
            self._abiertas.append(weakref.ref(conexion))
        return conexion

    @property
    def abiertas(self) -> int:
        """Cuántas conexiones se abrieron desde la última limpieza."""
        return len(self._abiertas)

    def sin_cerrar(self) -> list[psycopg2.extensions.connection]:
        """Las conexiones de la entrega que siguen abiertas con el servidor."""
        gc.collect()
        with self._candado:
            vivas = [referencia() for referencia in self._abiertas]
        return [conexion for conexion in vivas if conexion is not None and not conexion.closed]

    def anotar_sentencia(self, sentencia: Any) -> None:
        texto = sentencia.decode() if isinstance(sentencia, bytes) else str(sentencia)
        with self._candado:
            self.sentencias.append(" ".join(texto.split())[:120])

    def observador(self) -> psycopg2.extensions.connection:
        """Una conexión propia, fuera de la entrega, para preparar la tabla y mirarla."""
        conexion = self.conectar_de_verdad(application_name=APLICACION, **self.base)
        conexion.autocommit = True
        return conexion

    def cerrar_todo(self) -> None:
        """Cierra lo que abrió la entrega: cada comprobación empieza sin restos de otra."""
        conexiones = self.sin_cerrar()
        with self._candado:
            self._abiertas = []
            self.pools = []
        for conexion in conexiones:
            with suppress(Exception):
                conexion.close()


DESVIO = Desvio()


# --- importar la entrega ------------------------------------------------------------------


class BuscadorSinMayusculas(importlib.abc.MetaPathFinder):
    """Encuentra `conexion` en `Conexion.py`, como en Windows, donde se escribió la entrega.

    Va el último en sys.meta_path: solo actúa cuando el nombre exacto no existe, y solo
    busca dentro de la copia de la entrega.
    """

    def __init__(self, raiz: str, carpetas: Sequence[str]):
        self._raiz = raiz
        self._carpetas = list(carpetas)

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        buscado = f"{fullname.rpartition('.')[2].lower()}.py"
        lugares = [lugar for lugar in (path or self._carpetas) if lugar.startswith(self._raiz)]
        for lugar in lugares:
            entradas = sorted(os.listdir(lugar)) if os.path.isdir(lugar) else []
            for entrada in entradas:
                if entrada.lower() == buscado:
                    return importlib.util.spec_from_file_location(
                        fullname, os.path.join(lugar, entrada)
                    )
        return None


class Entrega:
    """Las piezas de la entrega según el mapeo, importadas de nuevo en cada comprobación."""

    def __init__(self, encargo: dict[str, Any]):
        self.raiz = encargo["raiz"]
        self.piezas: dict[str, dict[str, Any]] = encargo["piezas"]
        self._clases: dict[str, Any] = {}

    def olvidar(self) -> None:
        """Quita de sys.modules los módulos de la entrega: el siguiente import los ejecuta
        otra vez, como al arrancar el programa (con el pool sin crear)."""
        for nombre, modulo in list(sys.modules.items()):
            archivo = getattr(modulo, "__file__", None) or ""
            rutas = list(getattr(modulo, "__path__", None) or [])
            if archivo.startswith(self.raiz) or any(r.startswith(self.raiz) for r in rutas):
                del sys.modules[nombre]
        self._clases = {}

    def clase(self, pieza: str) -> Any:
        """La clase de la pieza; NoAplica si falta o si su módulo no se puede importar."""
        if pieza not in self._clases:
            datos = self.piezas.get(pieza)
            if datos is None or "falta" in datos:
                motivo = datos["falta"] if datos else "no se encontró"
                raise NoAplica(f"falta {NOMBRES[pieza]}: {motivo}")
            modulo = importar(datos["modulo"], datos["archivo"])
            self._clases[pieza] = getattr(modulo, datos["clase"])
        return self._clases[pieza]

    def metodo(self, pieza: str, rol: str) -> Callable[..., Any]:
        """El método de la pieza que hace lo que `rol` en el curso (obtener_conexion...)."""
        clase = self.clase(pieza)
        datos = self.piezas[pieza]
        nombre = datos["metodos"].get(rol)
        if nombre is None:
            raise NoAplica(f"{datos['clase']} no tiene {rol} (ni una variante de ese nombre)")
        if datos["llamada"].get(rol) == "instancia":
            clase = llamar(f"{datos['clase']}()", clase)
        return getattr(clase, nombre)  # type: ignore[no-any-return]

    def nombre_de(self, pieza: str, rol: str) -> str:
        datos = self.piezas[pieza]
        return f"{datos['clase']}.{datos['metodos'][rol]}()"

    def usuario(self, id_usuario: int | None, username: str, password: str) -> Any:
        """Un Usuario de la entrega, creado con los nombres de sus parámetros."""
        clase = self.clase("usuario")
        parametros = self.piezas["usuario"]["parametros"]
        valores = {"id_usuario": id_usuario, "username": username, "password": password}
        argumentos = {parametros[rol]: valores[rol] for rol in parametros}
        return llamar(f"{self.piezas['usuario']['clase']}(...)", clase, **argumentos)

    def leer(self, usuario: Any, rol: str) -> Any:
        return getattr(usuario, self.piezas["usuario"]["atributos"][rol], None)


NOMBRES = {
    "conexion": "la clase Conexion",
    "cursor_del_pool": "la clase CursorDelPool",
    "usuario": "la clase Usuario",
    "usuario_dao": "la clase UsuarioDAO",
}


def importar(nombre: str, archivo: str) -> ModuleType:
    """Importa un módulo de la entrega; si no se puede, NoAplica con el motivo."""
    try:
        with sin_teclado():
            return importlib.import_module(nombre)
    except EntradaAlImportar:
        raise NoAplica(f"{archivo} pide datos con input() al importarse") from None
    except SystemExit as error:
        raise NoAplica(f"{archivo} llama a sys.exit() al importarse ({error.code!r})") from None
    except Exception as error:
        raise NoAplica(f"no se pudo importar {archivo}: {describir_error(error)}") from None


@contextmanager
def sin_teclado() -> Iterator[None]:
    """input() lanza EntradaAlImportar: nada de la biblioteca debería pedir datos."""
    original = builtins.input

    def sin_entrada(*_: object) -> str:
        raise EntradaAlImportar()

    builtins.input = sin_entrada
    try:
        yield
    finally:
        builtins.input = original


def llamar(que: str, funcion: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Llama al código de la entrega; cualquier excepción suya llega como FalloDeLaEntrega."""
    try:
        return funcion(*args, **kwargs)
    # Exception y SystemExit: TiempoAgotado (la alarma) y Ctrl-C siguen su camino.
    except (Exception, SystemExit) as error:
        raise FalloDeLaEntrega(que, error) from error


def describir_error(error: BaseException) -> str:
    """«falló con UndefinedColumn: column "usename" does not exist (usuario_dao.py, línea 14)».

    De un error de PostgreSQL solo se toma su mensaje principal: el resto repite la línea
    de SQL, con los valores (contraseñas incluidas) que llevaba."""
    if isinstance(error, SystemExit):
        return "llamó a sys.exit()"
    if isinstance(error, OSError) and error.errno == errno.EFBIG:
        # Python ignora SIGXFSZ: al pasar del límite de tamaño, la escritura falla así.
        megas = ENCARGO["limites"]["archivo"] // 2**20
        return f"escribió más de {megas} MB en su salida o en un archivo (una salida sin fin)"
    if isinstance(error, SyntaxError) and error.filename:
        archivo = os.path.relpath(error.filename, ENCARGO.get("copia", "."))
        return f"{archivo} no es Python válido: {error.msg} (línea {error.lineno})"
    diagnostico = getattr(error, "diag", None)
    principal = getattr(diagnostico, "message_primary", None)
    mensaje = tapar(" ".join(str(principal or error).split())[:160])
    lugar = lugar_en_la_entrega(error.__traceback__)
    texto = f"falló con {type(error).__name__}" + (f": {mensaje}" if mensaje else "")
    return f"{texto} ({lugar})" if lugar else texto


def tapar(texto: str) -> str:
    """El texto sin ninguna de las contraseñas que usa la sonda."""
    for password in PASSWORDS:
        texto = texto.replace(password, "***")
    return texto


def lugar_en_la_entrega(traza: TracebackType | None) -> str:
    """El archivo y la línea de la entrega más cercanos al error, o cadena vacía."""
    lugar = ""
    for marco, linea in traceback.walk_tb(traza):
        archivo = marco.f_code.co_filename
        if archivo.startswith(ENCARGO.get("raiz", "\0")):
            relativo = os.path.relpath(archivo, ENCARGO["copia"])
            lugar = f"{relativo}, línea {linea}"
    return lugar


ENCARGO: dict[str, Any] = {}


# --- la tabla, vista desde fuera ----------------------------------------------------------


class Tabla:
    """Prepara las tablas del curso y las mira desde una conexión propia."""

    def __init__(self) -> None:
        self._conexion: psycopg2.extensions.connection | None = None

    def _cursor(self) -> psycopg2.extensions.cursor:
        if self._conexion is None or self._conexion.closed:
            self._conexion = DESVIO.observador()
        return self._conexion.cursor()

    def sembrar(self) -> None:
        """Las dos tablas (usuario y usuarios) con las mismas dos filas: ana y beto."""
        with self._cursor() as cursor:
            for tabla in TABLAS:
                cursor.execute(f"TRUNCATE {tabla} RESTART IDENTITY")
                for fila in SEMBRADOS:
                    cursor.execute(
                        f"INSERT INTO {tabla} (id_usuario, username, password) VALUES (%s, %s, %s)",
                        fila,
                    )
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{tabla}', 'id_usuario'), %s)",
                    (len(SEMBRADOS),),
                )
            cursor.execute("TRUNCATE calificador_diferida")

    def filas(self, tabla: str) -> list[tuple[int, str, str]]:
        with self._cursor() as cursor:
            cursor.execute(f"SELECT id_usuario, username, password FROM {tabla} ORDER BY 1")
            return list(cursor.fetchall())

    def todas(self) -> dict[str, list[tuple[int, str, str]]]:
        return {tabla: self.filas(tabla) for tabla in TABLAS}

    def con_username(self, username: str) -> list[tuple[int, str, str]]:
        return [fila for filas in self.todas().values() for fila in filas if fila[1] == username]


# --- las comprobaciones -------------------------------------------------------------------

Veredicto = tuple[str, str]


class Contexto:
    """Lo que comparten las comprobaciones: la entrega, la tabla y el desvío."""

    def __init__(self, entrega: Entrega, tabla: Tabla, resultados: Resultados):
        self.entrega = entrega
        self.tabla = tabla
        self.resultados = resultados

    def dao(self, rol: str) -> tuple[str, Callable[..., Any]]:
        return self.entrega.nombre_de("usuario_dao", rol), self.entrega.metodo("usuario_dao", rol)

    def pool(self) -> Any:
        """El pool de la entrega, tras prestar y devolver una conexión (que lo crea)."""
        conexion = self.entrega.clase("conexion")
        prestada = llamar(
            self.entrega.nombre_de("conexion", "obtener_conexion"),
            self.entrega.metodo("conexion", "obtener_conexion"),
        )
        llamar(
            self.entrega.nombre_de("conexion", "liberar_conexion"),
            self.entrega.metodo("conexion", "liberar_conexion"),
            prestada,
        )
        if "obtener_pool" in self.entrega.piezas["conexion"]["metodos"]:
            pool = llamar(
                self.entrega.nombre_de("conexion", "obtener_pool"),
                self.entrega.metodo("conexion", "obtener_pool"),
            )
        else:
            # Sin obtenerPool: el que guarda la clase, o si no el último que se creó.
            de_la_clase = [
                v
                for v in vars(conexion).values()
                if isinstance(v, psycopg2.pool.AbstractConnectionPool)
            ]
            pool = [*de_la_clase, *DESVIO.pools[-1:], None][0]
        if not isinstance(pool, psycopg2.pool.AbstractConnectionPool):
            raise NoAplica("el pool no es de psycopg2.pool: no se pueden contar sus conexiones")
        return pool

    def calentar(self) -> None:
        """Un `with CursorDelPool()` que funciona: crea el pool y prueba que se puede medir."""
        clase = self.entrega.clase("cursor_del_pool")
        try:
            with clase() as cursor:
                cursor.execute("SELECT 1")
        except (Exception, SystemExit) as error:
            raise NoAplica(
                f"`with CursorDelPool()` no funciona ni con un SELECT 1: {describir_error(error)}"
            ) from error


def prestadas(pool: Any) -> int:
    return len(pool._used)


def plural(cantidad: int, singular: str, varios: str) -> str:
    """«1 conexión», «2 conexiones» (la sonda no importa acceso_datos.formato: corre aparte)."""
    return f"{cantidad} {singular if cantidad == 1 else varios}"


def segundos(valor: float) -> str:
    """«2 s», «0,5 s»: con coma decimal, como acceso_datos.formato (que la sonda no importa)."""
    return f"{valor:g} s".replace(".", ",")


def es_entero(valor: object, esperado: int) -> bool:
    return isinstance(valor, int) and not isinstance(valor, bool) and valor == esperado


def crud_seleccionar(ctx: Contexto) -> Veredicto:
    ctx.tabla.sembrar()
    nombre, seleccionar = ctx.dao("seleccionar")
    impreso = io.StringIO()
    with redirect_stdout(impreso):
        devuelto = llamar(nombre, seleccionar)
    if devuelto is None:
        aviso = " (los imprime en pantalla)" if "ana" in impreso.getvalue() else ""
        return MAL, f"{nombre} devolvió None{aviso}: quien lo llama no recibe los usuarios"
    if isinstance(devuelto, psycopg2.extensions.cursor):
        estado = "cerrado" if devuelto.closed else "abierto"
        return MAL, f"{nombre} devolvió un cursor {estado} en vez de la lista de usuarios"
    if not isinstance(devuelto, list):
        return MAL, f"{nombre} devolvió {type(devuelto).__name__} en vez de una lista de Usuario"
    clase = ctx.entrega.clase("usuario")
    ajenos = [type(u).__name__ for u in devuelto if not isinstance(u, clase)]
    if ajenos:
        return MAL, f"{nombre} devolvió una lista de {ajenos[0]} en vez de objetos Usuario"
    leidos = sorted(str(ctx.entrega.leer(u, "username")) for u in devuelto)
    if leidos != ["ana", "beto"]:
        return MAL, f"{nombre} devolvió los usernames {leidos}; la tabla tiene ['ana', 'beto']"
    return BIEN, f"{nombre} devolvió una lista con los 2 Usuario de la tabla (ana y beto)"


def crud_insertar(ctx: Contexto) -> Veredicto:
    ctx.tabla.sembrar()
    nombre, insertar = ctx.dao("insertar")
    devuelto = llamar(nombre, insertar, ctx.entrega.usuario(None, "carla", "Carla-1234"))
    if not ctx.tabla.con_username("carla"):
        return MAL, f"{nombre} no guardó la fila de carla (devolvió {devuelto!r})"
    if not es_entero(devuelto, 1):
        return MAL, (
            f"{nombre} guardó la fila pero devolvió {devuelto!r} en vez de 1 "
            "(el número de filas insertadas)"
        )
    try:
        rechazo = llamar(nombre, insertar, ctx.entrega.usuario(None, RECHAZADO, "Clave-1234"))
    except FalloDeLaEntrega as fallo:
        if isinstance(fallo.error, SystemExit):
            return MAL, f"cuando la base rechaza el INSERT, {nombre} llama a sys.exit()"
        return BIEN, (
            f"{nombre} guardó carla y devolvió 1; si la base rechaza el INSERT, "
            f"lanza {type(fallo.error).__name__}"
        )
    if es_entero(rechazo, 0):
        return BIEN, f"{nombre} guardó carla y devolvió 1; si la base rechaza el INSERT, devuelve 0"
    return MAL, (
        f"cuando la base rechaza el INSERT, {nombre} no lanza ninguna excepción y "
        f"devuelve {rechazo!r}: quien lo llama cree que se guardó"
    )


def crud_actualizar(ctx: Contexto) -> Veredicto:
    ctx.tabla.sembrar()
    nombre, actualizar = ctx.dao("actualizar")
    usuario = ctx.entrega.usuario(1, "ana", "Ana-1234")
    clase = ctx.entrega.piezas["usuario"]["clase"]
    for rol, valor in (("username", "ana_nueva"), ("password", "Nueva-1234")):
        atributo = ctx.entrega.piezas["usuario"]["atributos"][rol]
        try:
            setattr(usuario, atributo, valor)
        except AttributeError:
            return MAL, f"{clase}.{atributo} no tiene setter: no se puede cambiar su valor"
        except RecursionError:
            return MAL, f"el setter de {clase}.{atributo} se llama a sí mismo (RecursionError)"
        if getattr(usuario, atributo, None) != valor:
            return MAL, f"el setter de {clase}.{atributo} no guarda el valor asignado"
    antes = ctx.tabla.todas()
    devuelto = llamar(nombre, actualizar, usuario)
    despues = ctx.tabla.todas()
    cambiadas = [t for t in despues if despues[t] != antes[t]]
    if not cambiadas:
        return MAL, f"{nombre} no cambió la fila de ana (devolvió {devuelto!r})"
    filas = despues[cambiadas[0]]
    if [f[1] for f in filas] != ["ana_nueva", "beto"] or len(cambiadas) > 1:
        return MAL, (
            f"{nombre} dejó la tabla {cambiadas[0]} con los usernames "
            f"{[f[1] for f in filas]} en vez de ['ana_nueva', 'beto']"
        )
    if not es_entero(devuelto, 1):
        return MAL, (
            f"{nombre} cambió la fila pero devolvió {devuelto!r} en vez de 1 "
            "(el número de filas actualizadas)"
        )
    return (
        BIEN,
        f"{nombre}, tras cambiar el username con su setter, actualizó solo esa fila y devolvió 1",
    )


def crud_eliminar(ctx: Contexto) -> Veredicto:
    ctx.tabla.sembrar()
    nombre, eliminar = ctx.dao("eliminar")
    antes = ctx.tabla.todas()
    devuelto = llamar(nombre, eliminar, ctx.entrega.usuario(1, "ana", "Ana-1234"))
    despues = ctx.tabla.todas()
    cambiadas = [t for t in despues if despues[t] != antes[t]]
    if not cambiadas:
        return MAL, f"{nombre} no borró la fila de ana (devolvió {devuelto!r})"
    filas = despues[cambiadas[0]]
    if [f[1] for f in filas] != ["beto"] or len(cambiadas) > 1:
        return MAL, (
            f"{nombre} dejó la tabla {cambiadas[0]} con los usernames "
            f"{[f[1] for f in filas]} en vez de ['beto']"
        )
    if not es_entero(devuelto, 1):
        return MAL, (
            f"{nombre} borró la fila pero devolvió {devuelto!r} en vez de 1 "
            "(el número de filas borradas)"
        )
    return BIEN, f"{nombre} borró solo la fila de ana y devolvió 1"


def password_en_claro(ctx: Contexto) -> Veredicto:
    ctx.tabla.sembrar()
    nombre, insertar = ctx.dao("insertar")
    secreto = f"Secreta-{secrets.token_hex(6)}"
    PASSWORDS.add(secreto)
    try:
        llamar(nombre, insertar, ctx.entrega.usuario(None, "dora", secreto))
    except FalloDeLaEntrega as fallo:
        raise NoAplica(f"no se puede ver cómo guarda la contraseña: {fallo.describir()}") from None
    filas = ctx.tabla.con_username("dora")
    if not filas:
        raise NoAplica(f"{nombre} no guardó la fila: no se puede ver cómo guarda la contraseña")
    guardada = filas[0][2] or ""
    en_base64 = base64.b64encode(secreto.encode()).decode()
    if secreto in guardada:
        como = "tal cual"
    elif en_base64.rstrip("=") in guardada:
        como = "en base64 (se descodifica sin ninguna clave)"
    else:
        como = ""
    # El veredicto lo completa el calificador, que busca el secreto en la salida y los logs.
    ctx.resultados.anotar(tipo="secreto", secreto=secreto, guardada=como)
    return "pendiente", como


def devuelve_si_falla_commit(ctx: Contexto) -> Veredicto:
    ctx.calentar()
    pool = ctx.pool()
    clase = ctx.entrega.clase("cursor_del_pool")
    antes = prestadas(pool)
    en_la_sentencia = False
    llego: BaseException | None = None
    try:
        with clase() as cursor:
            try:
                cursor.execute("INSERT INTO calificador_diferida VALUES (1), (1)")
            except Exception:
                en_la_sentencia = True
                raise
    except (Exception, SystemExit) as error:
        llego = error
    if en_la_sentencia:
        raise NoAplica("el INSERT falló ya en la sentencia (¿autocommit?), no en el commit()")
    despues = prestadas(pool)
    aviso = "" if llego is not None else "; además, el error del commit no llegó a quien llama"
    if despues > antes:
        return MAL, (
            f"tras un commit() fallido (restricción única diferida), la conexión "
            f"quedó prestada: el pool tiene {despues} de {pool.maxconn} en uso{aviso}"
        )
    return BIEN, (
        f"tras un commit() fallido (restricción única diferida), la conexión volvió al pool{aviso}"
    )


def devuelve_si_falla_sql(ctx: Contexto) -> Veredicto:
    ctx.calentar()
    pool = ctx.pool()
    clase = ctx.entrega.clase("cursor_del_pool")
    antes = prestadas(pool)
    try:
        with clase() as cursor:
            cursor.execute("SELECT * FROM calificador_tabla_que_no_existe")
    except (Exception, SystemExit):
        pass
    if prestadas(pool) > antes:
        return MAL, (
            "tras una sentencia que falla dentro de `with CursorDelPool()`, la "
            "conexión quedó prestada"
        )
    if "insertar" not in ctx.entrega.piezas["usuario_dao"].get("metodos", {}):
        return (
            BIEN,
            "la conexión volvió al pool tras un SQL fallido en el with (sin DAO que probar)",
        )
    nombre, insertar = ctx.dao("insertar")
    usuario = ctx.entrega.usuario(None, RECHAZADO, "Clave-1234")
    with suppress(FalloDeLaEntrega):
        llamar(nombre, insertar, usuario)
    if prestadas(pool) > antes:
        return MAL, f"cuando la base rechaza su INSERT, {nombre} deja la conexión prestada"
    return BIEN, (
        f"la conexión volvió al pool tras un SQL fallido dentro del with y tras un "
        f"INSERT rechazado en {nombre}"
    )


def rollback_si_error(ctx: Contexto) -> Veredicto:
    ctx.tabla.sembrar()
    clase = ctx.entrega.clase("cursor_del_pool")
    ctx.calentar()
    llego: BaseException | None = None
    try:
        with clase() as cursor:
            for tabla in TABLAS:
                cursor.execute(
                    f"INSERT INTO {tabla} (username, password) VALUES (%s, %s)",
                    ("rollback", "Clave-1234"),
                )
            raise ErrorProvocado("error provocado por el calificador")
    except (Exception, SystemExit) as error:
        llego = error
    if ctx.tabla.con_username("rollback"):
        return MAL, (
            "lo insertado antes de la excepción quedó guardado: el with confirmó "
            "(commit) aunque el bloque falló"
        )
    if llego is None:
        return MAL, "la excepción del bloque no llegó a quien llama: el with la tragó"
    otra = "" if isinstance(llego, ErrorProvocado) else f" (llegó como {type(llego).__name__})"
    return (
        BIEN,
        "tras una excepción dentro del with no quedó nada escrito y el error llegó a quien "
        f"llama{otra}",
    )


def pool_entre_hilos(ctx: Contexto) -> Veredicto:
    metodos = ctx.entrega.piezas.get("conexion", {}).get("metodos", {})
    ctx.entrega.clase("conexion")  # importada antes de abrir la puerta
    if "obtener_pool" in metodos:
        que = ctx.entrega.nombre_de("conexion", "obtener_pool")
        obtener_pool = ctx.entrega.metodo("conexion", "obtener_pool")

        def pedir() -> Any:
            return obtener_pool()
    else:
        # Sin obtenerPool, cada hilo pide una conexión y la devuelve; con más hilos que
        # conexiones, un «pool agotado» no es lo que se mide aquí.
        que = ctx.entrega.nombre_de("conexion", "obtener_conexion")
        obtener = ctx.entrega.metodo("conexion", "obtener_conexion")
        liberar = ctx.entrega.metodo("conexion", "liberar_conexion")

        def pedir() -> Any:
            with suppress(psycopg2.pool.PoolError):
                liberar(obtener())
            return None

    creados_antes = len(DESVIO.pools)
    barrera = threading.Barrier(HILOS)
    devueltos: list[Any] = [None] * HILOS
    errores: list[BaseException | None] = [None] * HILOS

    def hilo(numero: int) -> None:
        barrera.wait()
        try:
            devueltos[numero] = pedir()
        except BaseException as error:
            errores[numero] = error

    DESVIO.puerta = Puerta(HILOS, ESPERA_DE_LA_PUERTA)
    try:
        hilos = [threading.Thread(target=hilo, args=(n,), daemon=True) for n in range(HILOS)]
        for h in hilos:
            h.start()
        for h in hilos:
            h.join(ENCARGO["limites"]["espera"])
    finally:
        DESVIO.puerta = None
    if any(h.is_alive() for h in hilos):
        return (
            MAL,
            f"{HILOS} hilos llamaron a {que} a la vez y alguno sigue esperando tras "
            f"{segundos(ENCARGO['limites']['espera'])} (se cuelga)",
        )
    fallidos = [e for e in errores if e is not None]
    if fallidos:
        return (
            MAL,
            f"{len(fallidos)} de {HILOS} hilos que llamaron a {que} a la vez: "
            f"{describir_error(fallidos[0])}",
        )
    creados = len(DESVIO.pools) - creados_antes
    distintos = len({id(d) for d in devueltos if d is not None})
    if creados > 1 or distintos > 1:
        return (
            MAL,
            f"{HILOS} hilos que llamaron a {que} a la vez crearon "
            f"{max(creados, distintos)} pools (debe ser 1)",
        )
    return BIEN, f"{HILOS} hilos que llamaron a {que} a la vez recibieron un solo pool"


def pool_agotado(ctx: Contexto) -> Veredicto:
    espera = ENCARGO["limites"]["espera"]
    pool = ctx.pool()
    maximo = pool.maxconn
    if maximo > MAXIMO_A_AGOTAR:
        raise NoAplica(
            f"el máximo del pool es {maximo}: el calificador no abre más de {MAXIMO_A_AGOTAR}"
        )
    que = ctx.entrega.nombre_de("conexion", "obtener_conexion")
    obtener = ctx.entrega.metodo("conexion", "obtener_conexion")
    for numero in range(1, maximo + 1):
        conexion = llamar(f"la conexión {numero} de {maximo} ({que})", obtener)
        if conexion is None:
            return (
                MAL,
                f"{que} devolvió None con solo {numero - 1} de {maximo} conexiones prestadas",
            )
    desenlace: list[tuple[str, Any]] = []

    def pedir_una_mas() -> None:
        try:
            desenlace.append(("devuelve", obtener()))
        except BaseException as error:
            desenlace.append(("lanza", error))

    hilo = threading.Thread(target=pedir_una_mas, daemon=True)
    hilo.start()
    hilo.join(espera)
    if not desenlace:
        return MAL, (
            f"con las {maximo} conexiones prestadas, {que} sigue esperando otra tras "
            f"{segundos(espera)} (se cuelga)"
        )
    forma, valor = desenlace[0]
    if forma == "lanza" and isinstance(valor, SystemExit):
        return MAL, f"con las {maximo} conexiones prestadas, {que} llama a sys.exit()"
    if forma == "lanza":
        mensaje = " ".join(str(valor).split())[:100]
        return (
            BIEN,
            f"con las {maximo} conexiones prestadas, {que} lanza "
            f"{type(valor).__name__} ({mensaje})",
        )
    if valor is None:
        return MAL, (
            f"con las {maximo} conexiones prestadas, {que} devuelve None en vez de "
            "lanzar una excepción"
        )
    return MAL, f"{que} presta una conexión más que el máximo del pool ({maximo})"


def sin_sys_exit(ctx: Contexto) -> Veredicto:
    DESVIO.fallar = True
    try:
        try:
            ctx.entrega.clase("conexion")
        except NoAplica as motivo:
            if "sys.exit" in str(motivo):
                return MAL, f"con la base sin responder, {motivo}"
            if "no se pudo importar" in str(motivo):
                return (
                    BIEN,
                    f"con la base sin responder, la importación lanza una excepción ({motivo})",
                )
            raise
        metodos = ctx.entrega.piezas["conexion"]["metodos"]
        # El mapeo siempre trae obtener_conexion: sin él no hay Conexion.
        for rol in [r for r in ("obtener_pool", "obtener_conexion") if r in metodos]:
            que = ctx.entrega.nombre_de("conexion", rol)
            try:
                devuelto = llamar(que, ctx.entrega.metodo("conexion", rol))
            except FalloDeLaEntrega as fallo:
                if isinstance(fallo.error, SystemExit):
                    return MAL, f"con la base sin responder, {que} llama a sys.exit()"
                return BIEN, (
                    f"con la base sin responder, {que} lanza {type(fallo.error).__name__}"
                )
            if devuelto is None:
                return (
                    MAL,
                    f"con la base sin responder, {que} devuelve None en vez de lanzar una "
                    "excepción",
                )
        return (
            MAL,
            f"con la base sin responder, {que} devuelve {type(devuelto).__name__} sin avisar",
        )
    finally:
        DESVIO.fallar = False


def cierra_conexiones(ctx: Contexto) -> Veredicto:
    obtener = ctx.entrega.metodo("conexion", "obtener_conexion")
    liberar = ctx.entrega.metodo("conexion", "liberar_conexion")
    cerrar = ctx.entrega.metodo("conexion", "cerrar_conexiones")
    que = ctx.entrega.nombre_de("conexion", "cerrar_conexiones")
    # Una conexión devuelta (libre en el pool) y otra aún prestada: se cierran las dos.
    libre = llamar(ctx.entrega.nombre_de("conexion", "obtener_conexion"), obtener)
    # Se guarda, como la guarda un programa mientras la usa: soltarla la cerraría Python.
    prestada = llamar(ctx.entrega.nombre_de("conexion", "obtener_conexion"), obtener)
    llamar(ctx.entrega.nombre_de("conexion", "liberar_conexion"), liberar, libre)
    abiertas = len(DESVIO.sin_cerrar())
    llamar(que, cerrar)
    siguen = len(DESVIO.sin_cerrar())
    del prestada
    if siguen:
        quedan = plural(siguen, "conexión sigue abierta", "conexiones siguen abiertas")
        return MAL, f"tras {que}, {quedan} con el servidor (de {abiertas})"
    return (
        BIEN,
        f"{que} cerró {plural(abiertas, 'conexión', 'conexiones')} del pool, también la prestada",
    )


COMPROBACIONES: dict[str, Callable[[Contexto], Veredicto]] = {
    "crud_seleccionar": crud_seleccionar,
    "crud_insertar": crud_insertar,
    "crud_actualizar": crud_actualizar,
    "crud_eliminar": crud_eliminar,
    "password_en_claro": password_en_claro,
    "devuelve_si_falla_commit": devuelve_si_falla_commit,
    "devuelve_si_falla_sql": devuelve_si_falla_sql,
    "rollback_si_error": rollback_si_error,
    "pool_entre_hilos": pool_entre_hilos,
    "pool_agotado": pool_agotado,
    "sin_sys_exit": sin_sys_exit,
    "cierra_conexiones": cierra_conexiones,
}


def inspeccionar(
    entrega: Entrega, resultados: Resultados, modulos: list[list[str]], limite: float
) -> None:
    """Importa cada módulo de la biblioteca y anota lo que hace al importarse."""
    for nombre, archivo in modulos:
        resultados.anotar(tipo="importando", archivo=archivo)
        conexiones, sentencias = DESVIO.abiertas, len(DESVIO.sentencias)
        impreso = io.StringIO()
        error = ""
        signal.setitimer(signal.ITIMER_REAL, limite)
        try:
            with redirect_stdout(impreso):
                importar(nombre, archivo)
        except NoAplica as motivo:
            error = str(motivo)
        except TiempoAgotado:
            error = f"al importarse, sigue en marcha más de {segundos(limite)}"
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        hechas = DESVIO.sentencias[sentencias:]
        escrituras = [s for s in hechas if s.split(" ")[0].upper() in ESCRITURAS]
        texto = impreso.getvalue().strip()
        resultados.anotar(
            tipo="importacion",
            archivo=archivo,
            error=error,
            conecta=DESVIO.abiertas - conexiones,
            sentencias=len(hechas),
            escribe=escrituras[0] if escrituras else "",
            imprime=texto.splitlines()[0][:100] if texto else "",
        )
    resultados.anotar(tipo="inspeccionado")
    entrega.olvidar()
    DESVIO.cerrar_todo()


ESCRITURAS = {"INSERT", "UPDATE", "DELETE", "CREATE", "DROP", "ALTER", "TRUNCATE"}


def ejecutar_biblioteca(encargo: dict[str, Any], resultados: Resultados) -> None:
    entrega = Entrega(encargo)
    contexto = Contexto(entrega, Tabla(), resultados)
    for id_comprobacion in encargo["comprobaciones"]:
        limite = encargo["limites"]["por_comprobacion"]
        if id_comprobacion == "inspeccion":
            inspeccionar(entrega, resultados, encargo["modulos"], limite)
            continue
        resultados.anotar(tipo="empieza", id=id_comprobacion)
        signal.setitimer(signal.ITIMER_REAL, limite)
        try:
            resultado, detalle = COMPROBACIONES[id_comprobacion](contexto)
        except NoAplica as motivo:
            resultado, detalle = NO_APLICA, str(motivo)
        except FalloDeLaEntrega as fallo:
            resultado, detalle = MAL, fallo.describir()
        except TiempoAgotado:
            resultado, detalle = MAL, f"no terminó en {segundos(limite)} (se cuelga)"
        except Exception as error:
            # Algo que la sonda no esperaba: se dice, y las demás comprobaciones siguen.
            resultado = NO_APLICA
            detalle = f"el calificador no pudo hacer esta comprobación ({describir_error(error)})"
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            entrega.olvidar()
            DESVIO.cerrar_todo()
        resultados.anotar(
            tipo="resultado", id=id_comprobacion, resultado=resultado, detalle=tapar(detalle)
        )


def ejecutar_menu(encargo: dict[str, Any], resultados: Resultados) -> None:
    """Ejecuta el menú como programa principal; anota cada lectura y cómo terminó."""
    leer = builtins.input
    fines = 0

    def leer_anotando(pregunta: object = "") -> str:
        nonlocal fines
        try:
            linea = leer(pregunta)
        except EOFError:
            fines += 1
            resultados.anotar(tipo="lectura", fin=True)
            if fines > LECTURAS_TRAS_EL_FIN:
                resultados.anotar(tipo="fin", como="bucle")
                terminar(0)
            raise
        resultados.anotar(tipo="lectura", fin=False)
        return linea

    builtins.input = leer_anotando
    sys.argv = [encargo["menu"]]
    try:
        runpy.run_path(encargo["menu"], run_name="__main__")
    except SystemExit as salida:
        resultados.anotar(tipo="fin", como="sys.exit", codigo=str(salida.code))
    except BaseException as error:
        traceback.print_exc()
        resultados.anotar(
            tipo="fin",
            como="excepcion",
            excepcion=type(error).__name__,
            detalle=describir_error(error),
        )
    else:
        resultados.anotar(tipo="fin", como="normal")


def terminar(codigo: int) -> NoReturn:
    """Sale ya, sin esperar a los hilos que la entrega dejara colgados."""
    for flujo in (sys.stdout, sys.stderr):
        with suppress(Exception):
            flujo.flush()
    os._exit(codigo)


def _alarma(_senal: int, _marco: FrameType | None) -> None:
    raise TiempoAgotado()


def main(argumentos: list[str]) -> None:
    encargo = json.loads(Path(argumentos[1]).read_text(encoding="utf-8"))
    ENCARGO.update(encargo)
    limitar_recursos(encargo["limites"])
    resultados = Resultados(encargo["resultados"])
    DESVIO.instalar(encargo["base"])
    signal.signal(signal.SIGALRM, _alarma)
    sys.path[:0] = encargo["rutas"]
    sys.meta_path.append(BuscadorSinMayusculas(encargo["raiz"], encargo["rutas"]))
    os.chdir(encargo["copia"])
    if encargo["modo"] == "menu":
        ejecutar_menu(encargo, resultados)
    else:
        ejecutar_biblioteca(encargo, resultados)
    terminar(0)


if __name__ == "__main__":
    main(sys.argv)
