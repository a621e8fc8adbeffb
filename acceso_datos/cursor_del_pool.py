"""`CursorDelPool`: una transacción con una conexión prestada, en un bloque `with`."""

from types import TracebackType

from psycopg2.extensions import cursor as Cursor

from acceso_datos.conexion import Conexion, ConexionDelPool
from acceso_datos.logger_base import log


class CursorDelPool:
    """Presta una conexión y abre un cursor; al salir confirma o deshace y la devuelve.

    `with CursorDelPool() as cursor:` confirma (commit) si el bloque termina bien y
    deshace (rollback) si lanza una excepción, que siempre llega intacta a quien llama.
    """

    def __init__(self, timeout: float | None = None):
        self._timeout = timeout
        self._conexion: ConexionDelPool | None = None
        self._cursor: Cursor | None = None

    def __enter__(self) -> Cursor:
        self._conexion = Conexion.obtener_conexion(self._timeout)
        try:
            self._cursor = self._conexion.cursor()
        except BaseException:
            self._devolver()
            raise
        return self._cursor

    def __exit__(
        self,
        tipo: type[BaseException] | None,
        valor: BaseException | None,
        traza: TracebackType | None,
    ) -> None:
        try:
            if tipo is None:
                self._conexion.commit()
            else:
                self._deshacer()
        finally:
            self._devolver()

    def _deshacer(self) -> None:
        # Un fallo del rollback no debe tapar la excepción original del bloque: se anota
        # y la conexión, si quedó rota, se descarta al devolverla.
        try:
            self._conexion.rollback()
        except Exception:
            log.warning("Falló el rollback; la conexión se descartará", exc_info=True)

    def _devolver(self) -> None:
        conexion, cursor = self._conexion, self._cursor
        self._conexion = self._cursor = None
        try:
            if cursor is not None and not cursor.closed:
                cursor.close()
        except Exception:
            log.debug("No se pudo cerrar el cursor", exc_info=True)
        finally:
            Conexion.liberar_conexion(conexion)
