"""Esperas a PostgreSQL con límite de tiempo y que Ctrl-C puede interrumpir.

Sin más, psycopg2 espera la respuesta del servidor dentro de libpq, en C: si el servidor
deja de contestar (una Wi-Fi que se cae, un NAT que olvida la conexión, una máquina
congelada), la espera no acaba nunca y Ctrl-C no llega hasta que el servidor responda.
Con un «wait callback» (`psycopg2.extensions.set_wait_callback`, la receta de la FAQ de
psycopg2) psycopg2 envía cada orden sin bloquearse y deja la espera en manos de
`esperar_al_servidor`, que espera con `select()` y un plazo. `select()` sí atiende Ctrl-C.

El callback vale para todo el proceso (psycopg2 solo admite uno). A cada conexión le
aplica lo suyo:
- mientras conecta, su `connect_timeout` (libpq no lo aplica a las conexiones que se
  abren así, sin bloquear, de modo que lo aplica el callback);
- después, el atributo `espera_maxima` si lo tiene (las del pool: DB_QUERY_TIMEOUT); las
  conexiones ajenas al pool no lo tienen y esperan sin límite, como antes, aunque ahora
  también Ctrl-C las interrumpe.

Cuando la espera se corta (plazo vencido, Ctrl-C u otra señal que lance una excepción),
psycopg2 cierra esa conexión: su estado ya es desconocido. Si la conexión tiene el método
`pedir_cancelacion`, se le llama antes, para que el servidor deje de trabajar en una orden
que nadie va a recoger.
"""

import select
import time

import psycopg2
from psycopg2 import extensions

from acceso_datos.errores import ServidorNoRespondeError
from acceso_datos.logger_base import log

_LEER = extensions.POLL_READ
_CONECTANDO = extensions.STATUS_SETUP
_NADA = ()
_reloj = time.monotonic
_select = select.select


def esperar_al_servidor(conexion: extensions.connection) -> None:
    """Espera a que psycopg2 termine la orden en curso, con plazo; es el wait callback."""
    # Es el camino caliente de cada viaje al servidor, y make bench mide lo que cuesta:
    # por eso es tan escueto (ni getattr ni max(), que aquí se notan).
    try:
        limite = conexion.espera_maxima  # las del pool, ya conectadas
    except AttributeError:  # una conexión ajena al pool: sin límite, como antes
        limite = None
    # Mientras conecta, su connect_timeout. Se mira antes de poll(), que cambia el estado.
    conectando = limite is None and conexion.status == _CONECTANDO
    estado = conexion.poll()
    if not estado:  # POLL_OK: ya terminó
        return
    if conectando:
        limite = _plazo_para_conectar(conexion)
    inicio = _reloj()
    restante = limite
    try:
        while True:
            if estado == _LEER:
                listo = _select((conexion,), _NADA, _NADA, restante)[0]
            else:
                listo = _select(_NADA, (conexion,), _NADA, restante)[1]
            if not listo:
                break  # venció el plazo
            estado = conexion.poll()
            if not estado:
                return
            if limite is not None:  # llegó algo, pero no todo: lo que quede del plazo
                restante = limite - (_reloj() - inicio)
                if restante <= 0:
                    break
    except psycopg2.Error:
        raise  # la conexión falló por su cuenta: no hay orden viva que cancelar
    except BaseException:  # Ctrl-C, o SIGTERM/SIGHUP convertidos en excepción
        if not conectando:
            _abandonar(conexion)
        raise
    if conectando:
        # El mismo texto que daría libpq con connect_timeout, para que quien conecta lo
        # trate igual que antes (el pool lo explica en español).
        raise psycopg2.OperationalError("timeout expired")
    _abandonar(conexion)
    raise ServidorNoRespondeError(
        f"PostgreSQL en {_destino(conexion)} no contestó en {limite:g} s; se abandonó la "
        "conexión. Compruebe la red y que el servidor sigue en marcha; si la consulta es "
        "lenta de verdad, aumente DB_QUERY_TIMEOUT."
    )


def instalar() -> None:
    """Pone `esperar_al_servidor` como wait callback de psycopg2 (una vez por proceso)."""
    actual = extensions.get_wait_callback()
    if actual is esperar_al_servidor:
        return
    if actual is not None:
        # Otro callback (p. ej. el de gevent) ya decide cómo esperar: se respeta.
        log.warning(
            "Ya hay otro wait callback de psycopg2 (%r): DB_QUERY_TIMEOUT no se aplicará",
            actual,
        )
        return
    extensions.set_wait_callback(esperar_al_servidor)


def _plazo_para_conectar(conexion: extensions.connection) -> float | None:
    plazo = extensions.parse_dsn(conexion.dsn).get("connect_timeout")
    return float(plazo) if plazo and float(plazo) > 0 else None


def _abandonar(conexion: extensions.connection) -> None:
    pedir_cancelacion = getattr(conexion, "pedir_cancelacion", None)
    if pedir_cancelacion is not None:
        try:
            pedir_cancelacion()
        except Exception:  # cancelar es un extra: nunca debe tapar el motivo del corte
            log.debug("No se pudo pedir la cancelación", exc_info=True)


def _destino(conexion: extensions.connection) -> str:
    """host:puerto de la conexión, como lo ve libpq (nunca lleva la contraseña)."""
    try:
        return f"{conexion.info.host}:{conexion.info.port}"
    except psycopg2.Error:
        return "(servidor desconocido)"
