"""`CursorDelPool`: una transacción con una conexión prestada, en un bloque `with`."""

from types import TracebackType

import psycopg2
from psycopg2.extensions import cursor as Cursor

from acceso_datos import interrupciones
from acceso_datos.conexion import Conexion, ConexionDelPool
from acceso_datos.errores import ConexionError, ResultadoDesconocidoError, es_conexion_perdida
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
    Si la conexión se pierde durante el commit, lanza `ResultadoDesconocidoError`; con
    `solo_lectura=True` (una transacción que no escribe) no hay nada que pueda haberse
    guardado o no, y lo leído vale igual.
    """

    def __init__(self, timeout: float | None = None, *, solo_lectura: bool = False):
        self._timeout = timeout
        self._solo_lectura = solo_lectura
        self._conexion: ConexionDelPool | None = None
        self._cursor: Cursor | None = None

    # Entrar y salir son protegidas (ver `interrupciones`): Ctrl-C espera a que la conexión
    # esté en manos de este objeto, o de vuelta en el pool.
    @interrupciones.protegida
    def __enter__(self) -> Cursor:
        conexion = self._conexion = Conexion.obtener_conexion(self._timeout)
        try:
            cursor = self._cursor = conexion.cursor()
            if interrupciones.pendiente:
                interrupciones.entregar_pendiente()
        except BaseException:
            self._devolver(conexion)
            raise
        return cursor

    @interrupciones.protegida
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
        # Un fallo seguro (una restricción diferida, una conexión ya cerrada o abandonada:
        # el COMMIT ni se envió) sigue tal cual. Pero si la conexión se pierde con el COMMIT
        # ya enviado, el servidor pudo guardarlo o no: decir «no se hizo» invitaría a
        # repetirlo.
        ya_perdida = conexion.closed or conexion.abandonada
        try:
            conexion.commit()
        except (ConexionError, psycopg2.OperationalError, psycopg2.InterfaceError) as error:
            if ya_perdida or not es_conexion_perdida(error):
                raise
            if self._solo_lectura:
                log.debug("Se perdió la conexión al terminar una lectura", exc_info=True)
                return
            motivo = str(error).strip().splitlines()[0] if str(error).strip() else ""
            desconocido = ResultadoDesconocidoError(f"{RESULTADO_DESCONOCIDO} (Motivo: {motivo})")
            if conexion.senal_que_corto is not None:
                # Ctrl-C (o SIGTERM) cortó el COMMIT: sigue siendo lo que es, y su causa
                # dice qué quedó dudoso.
                interrupciones.entregar_pendiente(causa=desconocido)
            raise desconocido from error

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
