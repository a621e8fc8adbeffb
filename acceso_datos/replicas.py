"""Lecturas en réplicas: un segundo pool para leer, sin leer nunca atrasado lo ya escrito.

Con DB_REPLICAS (o DATABASE_URL_REPLICAS), las lecturas de los DAO que van solas se sirven
en una réplica de streaming (un standby) si está al día; si no, en el primario. Qué va a
dónde lo dice `consultar` en `dao_base.py`; aquí está cómo se sabe si una réplica sirve:

- **Lo que escribió este proceso.** Tras el commit de una escritura de un DAO se pregunta
  al primario hasta dónde llega su WAL (un viaje) y se guarda: es la posición del proceso,
  común a todos sus hilos. Una réplica sirve solo si ya aplicó hasta ahí.
- **Su retraso.** Lo recibido del primario y aún sin aplicar, medido en segundos desde el
  último commit aplicado; no debe pasar de DB_REPLICAS_RETRASO_MAX.
- **Sin viajes de más.** Lo que se sabe de cada réplica se guarda con la hora en que se
  preguntó. Mientras eso baste (ya aplicó la posición del proceso, y su retraso de entonces
  más lo que ha pasado desde que se preguntó no llega al máximo), nadie pregunta nada.
- **Fallos.** Una réplica que falla, va atrasada o no contesta se deja de probar un rato
  (REINTENTAR_TRAS, el doble con cada fallo seguido), y mientras tanto se lee en el primario.

El pool de las réplicas es un `PoolConexiones` como el del primario (esperas acotadas,
Ctrl-C, restablecer, fork): lo que se añade aquí es solo la decisión.
"""

import os
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg2
from psycopg2.extensions import cursor as Cursor

from acceso_datos.cursor_del_pool import CursorDelPool
from acceso_datos.errores import (
    ConexionError,
    PoolAgotadoError,
    ReplicaNoDisponibleError,
    ResultadoDesconocidoError,
)
from acceso_datos.formato import segundos
from acceso_datos.logger_base import log
from acceso_datos.pool import PoolConexiones

# Tras un fallo, segundos sin probar la réplica; se dobla con cada fallo seguido, hasta
# REINTENTAR_MAX. Así una réplica caída no cuesta un intento de conexión en cada lectura.
REINTENTAR_TRAS = 1.0
REINTENTAR_MAX = 30.0

# Hasta dónde llega el WAL del primario. La posición de inserción, no la de escritura:
# queda siempre después del commit que acaba de volver, aunque synchronous_commit=off.
_POSICION_DEL_PRIMARIO = "SELECT pg_current_wal_insert_lsn() - '0/0'"
# Si es un standby, hasta dónde aplicó, y su retraso: si tiene recibido algo sin aplicar,
# el tiempo desde el último commit aplicado; si no, 0 (NULL si aún no aplicó ninguno).
_ESTADO_DE_LA_REPLICA = (
    "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn() - '0/0', "
    "CASE WHEN pg_last_wal_receive_lsn() > pg_last_wal_replay_lsn() "
    "THEN extract(epoch FROM now() - pg_last_xact_replay_timestamp()) ELSE 0 END"
)
# Lo que hace que una lectura en la réplica se repita en el primario: no conectar, no
# contestar, perder la conexión, o que el standby cancele la consulta porque choca con lo
# que está aplicando (40001 y 40P01, que psycopg2 da como OperationalError).
_FALLOS = (ConexionError, PoolAgotadoError, psycopg2.OperationalError, psycopg2.InterfaceError)


@dataclass(frozen=True)
class _Vista:
    """Lo que se supo de una réplica al preguntarle."""

    lsn: int  # hasta dónde del WAL del primario había aplicado
    retraso: float  # segundos de retraso que tenía
    cuando: float  # time.monotonic() de antes de preguntar

    def sirve(self, posicion: int, ahora: float, retraso_max: float) -> bool:
        """¿Basta lo que se sabe para leer ahora, sin volver a preguntar?"""
        # Lo aplicado no retrocede: si al preguntar iba `retraso` atrasada, ahora va, como
        # mucho, `retraso` más lo que ha pasado desde entonces.
        return self.lsn >= posicion and self.retraso + (ahora - self.cuando) <= retraso_max


class _Posicion:
    """La posición del proceso en el WAL del primario: lo que una réplica debe haber aplicado
    para que una lectura vea todo lo que escribió este proceso (cualquiera de sus hilos)."""

    def __init__(self) -> None:
        self.candado = threading.Lock()
        self.lsn = 0
        # Terminó una escritura cuya posición no se sabe: la próxima lectura la pregunta. Al
        # empezar, también: lo escrito antes (el esquema al arrancar, SQL propio) no se anotó.
        self.sin_anotar = True
        # Transacciones de quien llama con escrituras de un DAO: su posición se sabrá cuando
        # terminen (CursorDelPool cierra el cursor al confirmar o deshacer).
        self.abiertas: weakref.WeakSet[Cursor] = weakref.WeakSet()

    def anotar(self, lsn: int) -> None:
        with self.candado:
            self.lsn = max(self.lsn, lsn)

    def para_leer(self, primario: PoolConexiones) -> int:
        """La posición que debe tener aplicada una réplica para la lectura que empieza ahora;
        solo pregunta al primario si terminó una escritura cuya posición no se sabe."""
        if self.abiertas and self._alguna_termino():
            self.sin_anotar = True
        if self.sin_anotar:
            self.preguntar(primario)
        return self.lsn

    def preguntar(self, primario: PoolConexiones) -> None:
        """Anota la posición del primario ahora: cubre todo lo confirmado hasta ahora, también
        lo que quedó sin anotar."""
        # Se baja antes de preguntar: lo que termine mientras tanto se pregunta después.
        self.sin_anotar = False
        try:
            self.anotar(posicion_del_primario(primario))
        except BaseException:
            self.sin_anotar = True
            raise

    def _alguna_termino(self) -> bool:
        """Olvida las transacciones de quien llama que ya terminaron; True si había alguna."""
        with self.candado:
            terminadas = [cursor for cursor in self.abiertas if cursor.closed]
            for cursor in terminadas:
                self.abiertas.discard(cursor)
        return bool(terminadas)


_POSICION = _Posicion()


class Replicas:
    """El pool de las lecturas de un primario, lo que se sabe de cada réplica y cuándo
    volver a probar tras un fallo."""

    def __init__(self, primario: PoolConexiones):
        configuracion = primario.configuracion.replicas
        assert configuracion is not None  # solo se crea si hay réplicas (ver replicas_de)
        self.primario = weakref.ref(primario)
        self.pool = PoolConexiones(configuracion)  # mínimo 0: no conecta todavía
        # Si nadie lo cierra antes, el pool de las réplicas se cierra con el del primario.
        self._cerrar_con_el_primario = weakref.finalize(primario, self.pool.cerrar)
        self._retraso_max = primario.configuracion.replicas_retraso_max
        self._vistas: dict[tuple[str, int], _Vista] = {}  # por servidor (host, puerto)
        self._probar_desde = 0.0  # antes de esto no se prueba: falló hace poco
        self._pausa = REINTENTAR_TRAS  # la próxima vez que falle, tanto sin probarla
        self._candado = threading.Lock()  # para los contadores
        self._servidas = {"en_replica": 0, "en_primario": 0}

    @contextmanager
    def cursor(self, *, transaccion: bool = False) -> Iterator[Cursor]:
        """Un cursor en una réplica al día: en autocommit (una sola sentencia no necesita
        BEGIN ni COMMIT) o, con `transaccion`, en una transacción (para un cursor del
        servidor). ReplicaNoDisponibleError si ahora no hay ninguna así, o si falla."""
        ahora = time.monotonic()
        if ahora < self._probar_desde:
            raise self._no_sirve("Las réplicas fallaron hace poco.")
        primario = self.primario()
        assert primario is not None  # quien llama lo tiene: es su pool
        posicion = _POSICION.para_leer(primario)  # un fallo aquí es del primario: sigue
        try:
            with CursorDelPool(pool=self.pool, solo_lectura=True) as cursor:
                conexion = cursor.connection
                conexion.autocommit = True
                try:
                    self._comprobar(cursor, posicion, ahora)
                    conexion.autocommit = not transaccion
                    yield cursor
                finally:
                    if not conexion.closed and conexion.autocommit:
                        conexion.autocommit = False  # devolverla como se prestó
        except ReplicaNoDisponibleError:
            raise
        except _FALLOS as error:
            if not isinstance(error, PoolAgotadoError):  # estar ocupada no es un fallo
                self._fallo(error)
            motivo = _primera_linea(error)
            raise self._no_sirve(f"Falló la réplica en la que se leía ({motivo}).") from error
        self._pausa = REINTENTAR_TRAS
        self._contar("en_replica")

    def estadisticas(self) -> dict[str, int]:
        """Los contadores del pool de las réplicas y cuántas lecturas se sirvieron en una
        réplica y cuántas en el primario."""
        datos = self.pool.estadisticas()
        with self._candado:
            return {**datos, **self._servidas}

    def cerrar(self) -> None:
        """Cierra el pool de las réplicas."""
        self._cerrar_con_el_primario()

    # --- piezas internas -------------------------------------------------------------

    def _comprobar(self, cursor: Cursor, posicion: int, ahora: float) -> None:
        """Lanza ReplicaNoDisponibleError si la réplica de `cursor` no está al día; le
        pregunta solo si no basta lo que ya se sabe de ella."""
        conexion = cursor.connection
        servidor = (conexion.info.host, conexion.info.port)
        vista = self._vistas.get(servidor)
        if vista is not None and vista.sirve(posicion, ahora, self._retraso_max):
            return
        antes = time.monotonic()
        cursor.execute(_ESTADO_DE_LA_REPLICA)
        fila = cursor.fetchone()
        assert fila is not None  # la consulta devuelve siempre una fila
        en_recuperacion, lsn, retraso = fila
        nombre = f"{servidor[0]}:{servidor[1]}"
        if not en_recuperacion or lsn is None:
            # Un standby promovido ya no es una réplica: su conexión no se reutiliza.
            conexion.close()
            self._fallo(f"{nombre} ya no es un standby")
            raise self._no_sirve(f"{nombre} ya no es un standby.")
        vista = _Vista(int(lsn), float("inf") if retraso is None else float(retraso), antes)
        # Asignar una entrada del diccionario es atómico: si dos hilos preguntan a la vez,
        # queda una de las dos vistas, y las dos son ciertas.
        self._vistas[servidor] = vista
        if vista.retraso > self._retraso_max:
            texto = "sin aplicar aún ningún commit" if retraso is None else segundos(vista.retraso)
            self._fallo(
                f"{nombre} va atrasada ({texto}; DB_REPLICAS_RETRASO_MAX es "
                f"{segundos(self._retraso_max, None)})"
            )
            raise self._no_sirve(f"La réplica {nombre} va atrasada.")
        if vista.lsn < posicion:
            # Lo normal justo después de escribir: no es un fallo, se lee en el primario.
            raise self._no_sirve(f"{nombre} aún no aplicó lo escrito por este proceso.")

    def _no_sirve(self, motivo: str) -> ReplicaNoDisponibleError:
        """El error que lleva la lectura al primario (y la cuenta como servida allí)."""
        self._contar("en_primario")
        return ReplicaNoDisponibleError(motivo)

    def _contar(self, donde: str) -> None:
        with self._candado:
            self._servidas[donde] += 1

    def _fallo(self, motivo: object) -> None:
        """No probar la réplica durante un rato, más largo cuanto más seguidos los fallos."""
        pausa = self._pausa
        self._probar_desde = time.monotonic() + pausa
        self._pausa = min(pausa * 2, REINTENTAR_MAX)
        # El aviso, solo al primer fallo de una racha: no uno por lectura.
        registrar = log.warning if pausa == REINTENTAR_TRAS else log.debug
        registrar(
            "Las lecturas van al primario durante %s: %s", segundos(pausa), _primera_linea(motivo)
        )


def replicas_de(primario: PoolConexiones) -> Replicas | None:
    """Las réplicas del pool `primario`, creadas la primera vez; None si no tiene réplicas."""
    if primario.configuracion.replicas is None:
        return None
    actual = _actual
    if actual is not None and actual.primario() is primario:
        return actual
    return _crear(primario)


def posicion_del_primario(primario: PoolConexiones) -> int:
    """Hasta dónde llega ahora el WAL del primario (un viaje, en autocommit)."""
    with CursorDelPool(pool=primario) as cursor:
        conexion = cursor.connection
        conexion.autocommit = True
        try:
            cursor.execute(_POSICION_DEL_PRIMARIO)
            fila = cursor.fetchone()
        finally:
            if not conexion.closed:
                conexion.autocommit = False
    assert fila is not None  # la consulta devuelve siempre una fila
    return int(fila[0])


def anotar_escritura(primario: PoolConexiones) -> None:
    """Tras el commit de una escritura: guarda la posición del primario para las lecturas
    que sigan. Nunca falla: la escritura ya está hecha, y si no se puede preguntar ahora, se
    preguntará al leer."""
    try:
        _POSICION.preguntar(primario)
    except Exception:
        log.info("No se pudo anotar la posición de una escritura; se preguntará al leer")


def anotar_escritura_dudosa(error: BaseException) -> None:
    """Si `error` deja en duda un commit (se perdió la conexión con él en vuelo), la próxima
    lectura pregunta la posición al primario: la escritura pudo guardarse."""
    causa = error if isinstance(error, ResultadoDesconocidoError) else error.__cause__
    if isinstance(causa, ResultadoDesconocidoError):
        _POSICION.sin_anotar = True


def anotar_escritura_unida(cursor: Cursor) -> None:
    """Una escritura en la transacción de quien llama: su posición se pregunta cuando esa
    transacción termine. Sin réplicas, nada."""
    pool = getattr(cursor.connection, "pool", None)
    if pool is not None and pool.configuracion.replicas is not None:
        with _POSICION.candado:
            _POSICION.abiertas.add(cursor)


def _primera_linea(motivo: object) -> str:
    """Lo esencial de un error para el log (libpq añade líneas de pista tras la primera)."""
    texto = str(motivo).strip()
    return texto.splitlines()[0] if texto else type(motivo).__name__


_actual: Replicas | None = None
_candado = threading.Lock()


def _crear(primario: PoolConexiones) -> Replicas:
    global _actual
    with _candado:
        anterior = _actual
        if anterior is not None and anterior.primario() is primario:
            return anterior  # otro hilo las creó mientras tanto
        _actual = Replicas(primario)
    if anterior is not None:
        anterior.cerrar()  # eran de un pool del primario que ya no se usa
    return _actual


def _tras_fork() -> None:
    """En el hijo de un fork: candados nuevos (pudo tenerlos otro hilo) y réplicas nuevas
    (conexion.py ya abandonó su pool); la posición se conserva: lo escrito, escrito está."""
    global _actual, _candado
    _candado = threading.Lock()
    _POSICION.candado = threading.Lock()
    _actual = None


if hasattr(os, "register_at_fork"):  # Windows no tiene fork
    os.register_at_fork(after_in_child=_tras_fork)
