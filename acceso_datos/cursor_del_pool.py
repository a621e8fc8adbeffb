"""`CursorDelPool`: una transacción con una conexión prestada, en un bloque `with`."""

from types import TracebackType

import psycopg2
from psycopg2.extensions import cursor as Cursor

from acceso_datos.conexion import Conexion, ConexionDelPool, PoolConexiones
from acceso_datos.errores import (
    ResultadoDesconocidoError,
    ServidorNoRespondeError,
    es_conexion_perdida,
)
from acceso_datos.logger_base import log

RESULTADO_DESCONOCIDO = (
    "Se perdió la conexión con PostgreSQL mientras confirmaba (COMMIT) y no se sabe si "
    "los cambios se guardaron. Compruébelo antes de repetir la operación: repetirla "
    "podría hacerla dos veces."
)


class CursorDelPool:
    """Presta una conexión y abre un cursor; al salir confirma o deshace y la devuelve.

    `with CursorDelPool() as cursor:` confirma (commit) si el bloque termina bien y
    deshace (rollback) si lanza una excepción, que siempre llega intacta a quien llama.
    Si la conexión se pierde durante el commit, lanza `ResultadoDesconocidoError`.
    Con `pool=`, la conexión sale de ese pool (p. ej. el de las réplicas) y no del de
    `Conexion`.
    """

    def __init__(self, timeout: float | None = None, *, pool: PoolConexiones | None = None):
        self._timeout = timeout
        self._pool = pool
        self._conexion: ConexionDelPool | None = None
        self._cursor: Cursor | None = None

    def __enter__(self) -> Cursor:
        prestar = Conexion.obtener_conexion if self._pool is None else self._pool.prestar
        conexion = self._conexion = prestar(self._timeout)
        try:
            cursor = self._cursor = conexion.cursor()
        except BaseException:
            self._devolver(conexion)
            raise
        return cursor

    def __exit__(
        self,
        tipo: type[BaseException] | None,
        valor: BaseException | None,
        traza: TracebackType | None,
    ) -> None:
        conexion = self._conexion
        assert conexion is not None  # la prestó __enter__, y solo __exit__ la devuelve
        try:
            if tipo is None:
                self._confirmar(conexion)
            else:
                self._deshacer(conexion)
        finally:
            self._devolver(conexion)

    def _confirmar(self, conexion: ConexionDelPool) -> None:
        # Un fallo seguro (una restricción diferida, una conexión que ya estaba cerrada)
        # sigue tal cual. Pero si la conexión se pierde con el COMMIT ya enviado, el
        # servidor pudo guardarlo o no: decir «no se hizo» invitaría a repetirlo.
        ya_cerrada = conexion.closed
        try:
            conexion.commit()
        except (
            ServidorNoRespondeError,
            psycopg2.OperationalError,
            psycopg2.InterfaceError,
        ) as error:
            if ya_cerrada or not es_conexion_perdida(error):
                raise
            motivo = str(error).strip().splitlines()[0] if str(error).strip() else ""
            raise ResultadoDesconocidoError(
                f"{RESULTADO_DESCONOCIDO} (Motivo: {motivo})"
            ) from error
        except Exception:
            raise
        except BaseException as interrupcion:
            # Ctrl-C (o SIGTERM) sigue siendo lo que es; su causa dice qué quedó dudoso.
            raise interrupcion from ResultadoDesconocidoError(RESULTADO_DESCONOCIDO)

    def _deshacer(self, conexion: ConexionDelPool) -> None:
        # Si el vigía cortó una espera (plazo o Ctrl-C), no hay nada que deshacer: el
        # servidor descarta la transacción al perder la conexión.
        if conexion.closed or conexion.abandonada:
            return
        # Un fallo del rollback no debe tapar la excepción original del bloque: se anota
        # y la conexión, si quedó rota, se descarta al devolverla.
        try:
            conexion.rollback()
        except Exception:
            log.warning("Falló el rollback; la conexión se descartará", exc_info=True)

    def _devolver(self, conexion: ConexionDelPool) -> None:
        cursor = self._cursor
        self._conexion = self._cursor = None
        try:
            if cursor is not None and not cursor.closed:
                cursor.close()
        except Exception:
            log.debug("No se pudo cerrar el cursor", exc_info=True)
        finally:
            Conexion.liberar_conexion(conexion)
