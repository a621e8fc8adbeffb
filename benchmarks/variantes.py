"""Las formas de hacer la operación medida: nuestro pool y sus alternativas.

La operación es la misma para todas: pedir una conexión, buscar un usuario por su clave
primaria, confirmar (commit) y devolverla. Cada variante da, para cada hilo, una función
sin argumentos que la hace una vez y devuelve True, o False si el pool la rechazó sin
esperar (solo le pasa al pool del curso, que no sabe esperar).

Cada una se mide como se usaría: la nuestra con la espera acotada de acceso_datos (cada
espera al servidor anotada para el vigía de `vigia`, DB_QUERY_TIMEOUT), las demás de
psycopg2 sin ella. Las «con la espera acotada» usan las conexiones del pool (ConexionDelPool)
en otro pool o sin pool: aíslan lo que cuesta el mecanismo.
"""

import random
import threading
from collections.abc import Callable
from typing import Any

import psycopg2
import psycopg2.pool

from acceso_datos import vigia
from acceso_datos.conexion_del_pool import ConexionDelPool
from acceso_datos.cursor_del_pool import CursorDelPool

CONSULTA = "SELECT id_usuario, username, password FROM usuario WHERE id_usuario = %s"
MAXIMO = 5  # el tamaño del pool del curso (mínimo 1, máximo 5), también para los demás
ESPERA_MAXIMA = 30.0  # segundos: los pools que esperan fallan tras esto (sería un cuelgue)

try:  # psycopg 3, su pool y SQLAlchemy solo están con requirements-bench.txt
    import psycopg
    import psycopg_pool
except ImportError:
    psycopg = psycopg_pool = None
try:
    import sqlalchemy
    from sqlalchemy.pool import QueuePool
except ImportError:
    sqlalchemy = QueuePool = None

Operacion = Callable[[], bool]


class ConexionAcotada(ConexionDelPool):
    """Una conexión del pool fuera del pool: sus esperas, con el límite de las del pool."""

    espera_maxima = ESPERA_MAXIMA


def generador_de_ids(usuarios: int, semilla: int) -> Callable[[], int]:
    """Ids al azar entre 1 y `usuarios`; cada hilo tiene su propia secuencia."""
    azar = random.Random(semilla)
    return lambda: azar.randint(1, usuarios)


def buscar_y_confirmar(conexion: Any, id_usuario: int) -> None:
    """La consulta medida y su commit (vale para psycopg2 y para psycopg 3)."""
    with conexion.cursor() as cursor:
        cursor.execute(CONSULTA, (id_usuario,))
        cursor.fetchone()
    conexion.commit()


class Variante:
    """Una forma de hacer la operación. Las subclases dan `operacion_de_hilo`."""

    clave = ""
    nombre = ""
    max_hilos: int | None = None  # None: cualquier número de hilos
    # Cuántas conexiones puede tener abiertas a la vez (para no agotar el servidor);
    # None: una por hilo, que se comprueba con cada número de hilos.
    conexiones: int | None = MAXIMO

    def __init__(self, parametros: dict[str, Any], usuarios: int):
        self.parametros = parametros
        self.usuarios = usuarios

    def operacion_de_hilo(self, indice: int) -> Operacion:
        raise NotImplementedError

    def reconexiones(self) -> int | None:
        """Conexiones abiertas de más desde el principio; None si no se cuentan."""
        return None

    def cerrar(self) -> None:
        """Cierra lo que la variante tenga abierto."""


class NuestroPool(Variante):
    clave = "nuestro"
    nombre = "with CursorDelPool() (nuestro; mín 1, máx 5)"

    def operacion_de_hilo(self, indice: int) -> Operacion:
        nuevo_id = generador_de_ids(self.usuarios, indice)

        def operacion() -> bool:
            with CursorDelPool() as cursor:
                cursor.execute(CONSULTA, (nuevo_id(),))
                cursor.fetchone()
            return True

        return operacion


class Control(NuestroPool):
    """El nuestro otra vez, medido como si fuera otro: la diferencia con él es puro ruido.

    Sirve de vara de medir: un cociente frente a otra variante que quede dentro del mínimo
    y el máximo de este no distingue nada.
    """

    clave = "control"
    nombre = "el nuestro otra vez (control del ruido)"
    conexiones = 0  # usa el mismo pool que el nuestro


class Persistente(Variante):
    """Una conexión abierta para siempre en cada hilo: el límite de lo que se puede ganar."""

    clave = "persistente"
    nombre = "conexión persistente por hilo (el límite)"
    max_hilos = MAXIMO

    def __init__(self, parametros: dict[str, Any], usuarios: int):
        super().__init__(parametros, usuarios)
        self._conexiones: dict[int, psycopg2.extensions.connection] = {}

    def operacion_de_hilo(self, indice: int) -> Operacion:
        if indice not in self._conexiones:
            self._conexiones[indice] = psycopg2.connect(**self.parametros)
        conexion = self._conexiones[indice]
        nuevo_id = generador_de_ids(self.usuarios, indice)

        def operacion() -> bool:
            buscar_y_confirmar(conexion, nuevo_id())
            return True

        return operacion

    def cerrar(self) -> None:
        for conexion in self._conexiones.values():
            conexion.close()


class PersistenteConEsperaAcotada(Persistente):
    """La persistente otra vez, pero con la espera acotada (el vigía): su coste, aislado."""

    clave = "persistente_acotada"
    nombre = "conexión persistente con la espera acotada"

    def __init__(self, parametros: dict[str, Any], usuarios: int):
        super().__init__(parametros, usuarios)
        vigia.arrancar()  # el vigía ya corre por el nuestro; así no depende de él

    def operacion_de_hilo(self, indice: int) -> Operacion:
        if indice not in self._conexiones:
            conexion = psycopg2.connect(connection_factory=ConexionAcotada, **self.parametros)
            self._conexiones[indice] = conexion
        return super().operacion_de_hilo(indice)

    def cerrar(self) -> None:
        super().cerrar()
        vigia.soltar()


class ConexionContada(psycopg2.extensions.connection):
    """Conexión de psycopg2 que lleva la cuenta de cuántas se abren (por subclase)."""

    abiertas = 0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        type(self).abiertas += 1


def fabrica_contada() -> type[ConexionContada]:
    """Una clase de conexión con su propio contador, para no mezclar variantes."""
    return type("ConexionContadaPropia", (ConexionContada,), {"abiertas": 0})


class ThreadedConSemaforo(Variante):
    """El pool bloqueante mínimo: ThreadedConnectionPool(5, 5) tras un BoundedSemaphore(5)."""

    clave = "semaforo"
    nombre = "ThreadedConnectionPool(5, 5) + BoundedSemaphore"
    fabrica: type[psycopg2.extensions.connection] = psycopg2.extensions.connection

    def __init__(self, parametros: dict[str, Any], usuarios: int):
        super().__init__(parametros, usuarios)
        self._turnos = threading.BoundedSemaphore(MAXIMO)
        self._pool = psycopg2.pool.ThreadedConnectionPool(
            MAXIMO, MAXIMO, connection_factory=self.fabrica, **parametros
        )

    def operacion_de_hilo(self, indice: int) -> Operacion:
        nuevo_id = generador_de_ids(self.usuarios, indice)
        turnos, pool = self._turnos, self._pool

        def operacion() -> bool:
            if not turnos.acquire(timeout=ESPERA_MAXIMA):
                raise TimeoutError(f"el semáforo no dio turno en {ESPERA_MAXIMA} s")
            try:
                conexion = pool.getconn()  # con el turno concedido, nunca falta una
                try:
                    buscar_y_confirmar(conexion, nuevo_id())
                finally:
                    pool.putconn(conexion)
            finally:
                turnos.release()
            return True

        return operacion

    def cerrar(self) -> None:
        self._pool.closeall()


class ThreadedConSemaforoAcotado(ThreadedConSemaforo):
    """El mismo pool de semáforo, pero con las conexiones del nuestro (la espera acotada):
    pool frente a pool, a igualdad de mecanismo."""

    clave = "semaforo_acotado"
    nombre = "ThreadedConnectionPool(5, 5) + BoundedSemaphore, con la espera acotada"
    fabrica = ConexionAcotada

    def __init__(self, parametros: dict[str, Any], usuarios: int):
        vigia.arrancar()
        super().__init__(parametros, usuarios)

    def cerrar(self) -> None:
        super().cerrar()
        vigia.soltar()


class PoolDelCurso(Variante):
    """La configuración del curso: ThreadedConnectionPool(1, 5) usado sin esperar.

    Con todas prestadas, getconn lanza PoolError (se cuenta como rechazo); al devolver,
    cierra la conexión si ya hay una libre (se cuentan las reconexiones).
    """

    clave = "curso"
    nombre = "ThreadedConnectionPool(1, 5) sin espera (el curso)"

    def __init__(self, parametros: dict[str, Any], usuarios: int):
        super().__init__(parametros, usuarios)
        self._fabrica = fabrica_contada()
        self._pool = psycopg2.pool.ThreadedConnectionPool(
            1, MAXIMO, connection_factory=self._fabrica, **parametros
        )

    def operacion_de_hilo(self, indice: int) -> Operacion:
        nuevo_id = generador_de_ids(self.usuarios, indice)
        pool = self._pool

        def operacion() -> bool:
            try:
                conexion = pool.getconn()
            except psycopg2.pool.PoolError:
                return False
            try:
                buscar_y_confirmar(conexion, nuevo_id())
            finally:
                pool.putconn(conexion)
            return True

        return operacion

    def reconexiones(self) -> int:
        return self._fabrica.abiertas - 1  # la primera la abre al crearse

    def cerrar(self) -> None:
        self._pool.closeall()


class ConectarCadaVez(Variante):
    clave = "conectar"
    nombre = "conectar y cerrar en cada operación"
    conexiones = None

    def operacion_de_hilo(self, indice: int) -> Operacion:
        nuevo_id = generador_de_ids(self.usuarios, indice)
        parametros = self.parametros

        def operacion() -> bool:
            conexion = psycopg2.connect(**parametros)
            try:
                buscar_y_confirmar(conexion, nuevo_id())
            finally:
                conexion.close()
            return True

        return operacion


class PsycopgPool(Variante):
    """psycopg_pool.ConnectionPool de psycopg 3 (mín 1, máx 5), la referencia moderna."""

    clave = "psycopg_pool"
    nombre = "psycopg_pool.ConnectionPool(1, 5) (psycopg 3)"

    def __init__(self, parametros: dict[str, Any], usuarios: int):
        super().__init__(parametros, usuarios)
        self._pool = psycopg_pool.ConnectionPool(
            psycopg.conninfo.make_conninfo(**parametros),
            min_size=1,
            max_size=MAXIMO,
            timeout=ESPERA_MAXIMA,
            open=True,
        )
        self._pool.wait(timeout=ESPERA_MAXIMA)

    def operacion_de_hilo(self, indice: int) -> Operacion:
        nuevo_id = generador_de_ids(self.usuarios, indice)
        pool = self._pool

        def operacion() -> bool:
            # Al salir del bloque, connection() confirma y devuelve la conexión.
            with pool.connection() as conexion, conexion.cursor() as cursor:
                cursor.execute(CONSULTA, (nuevo_id(),))
                cursor.fetchone()
            return True

        return operacion

    def cerrar(self) -> None:
        self._pool.close()


class SQLAlchemyQueuePool(Variante):
    """El QueuePool de SQLAlchemy sobre psycopg2: 5 conexiones, sin desbordamiento."""

    clave = "sqlalchemy"
    nombre = "SQLAlchemy QueuePool(5) sobre psycopg2"

    def __init__(self, parametros: dict[str, Any], usuarios: int):
        super().__init__(parametros, usuarios)
        self._pool = QueuePool(
            lambda: psycopg2.connect(**parametros),
            pool_size=MAXIMO,
            max_overflow=0,
            timeout=ESPERA_MAXIMA,
        )

    def operacion_de_hilo(self, indice: int) -> Operacion:
        nuevo_id = generador_de_ids(self.usuarios, indice)
        pool = self._pool

        def operacion() -> bool:
            conexion = pool.connect()
            try:
                buscar_y_confirmar(conexion, nuevo_id())
            finally:
                conexion.close()  # vuelve al pool (con rollback de lo que quedara)
            return True

        return operacion

    def cerrar(self) -> None:
        self._pool.dispose()


TODAS: list[type[Variante]] = [
    NuestroPool,
    Control,
    Persistente,
    PersistenteConEsperaAcotada,
    ThreadedConSemaforo,
    ThreadedConSemaforoAcotado,
    PoolDelCurso,
    ConectarCadaVez,
    PsycopgPool,
    SQLAlchemyQueuePool,
]

# Las que necesitan paquetes de requirements-bench.txt, con el paquete que les falta.
FALTA_PAQUETE: dict[str, str | None] = {
    PsycopgPool.clave: None if psycopg_pool else "psycopg-pool",
    SQLAlchemyQueuePool.clave: None if sqlalchemy else "SQLAlchemy",
}


def nombres() -> dict[str, str]:
    """Nombre legible de cada variante, por clave, en el orden de las tablas."""
    return {variante.clave: variante.nombre for variante in TODAS}
