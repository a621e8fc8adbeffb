"""`CursorDelPool`: una transacción con una conexión prestada, en un bloque `with`."""

from types import TracebackType

from psycopg2.extensions import cursor as Cursor

from acceso_datos import interrupciones
from acceso_datos.conexion import Conexion
from acceso_datos.pool import PoolConexiones


class CursorDelPool:
    """Presta una conexión y abre un cursor; al salir confirma o deshace y la devuelve.

    `with CursorDelPool() as cursor:` confirma (commit) si el bloque termina bien y
    deshace (rollback) si lanza una excepción, que siempre llega intacta a quien llama.
    Si la conexión se pierde durante el commit, lanza `ResultadoDesconocidoError`; con
    `solo_lectura=True` (una transacción que no escribe) no hay nada que pueda haberse
    guardado o no, y lo leído vale igual. Con `pool=`, la conexión sale de ese pool (el
    del primario o el de las réplicas) y no se pide a `Conexion`.
    """

    def __init__(
        self,
        timeout: float | None = None,
        *,
        solo_lectura: bool = False,
        pool: PoolConexiones | None = None,
    ):
        self._timeout = timeout
        self._solo_lectura = solo_lectura
        self._pool = pool

    def __enter__(self) -> Cursor:
        if self._pool is None:
            self._conexion = Conexion.obtener_conexion(self._timeout)
        else:
            self._conexion = self._pool.prestar(self._timeout)
        try:
            self._cursor = self._conexion.cursor()
        except BaseException:
            Conexion.liberar_conexion(self._conexion)
            raise
        return self._cursor

    @interrupciones.protegida  # Ctrl-C espera a que la conexión vuelva al pool
    def __exit__(
        self,
        tipo: type[BaseException] | None,
        valor: BaseException | None,
        traza: TracebackType | None,
    ) -> None:
        try:
            if tipo is None:
                self._conexion.confirmar(self._solo_lectura)  # commit
            else:
                self._conexion.deshacer()  # rollback, sin tapar la excepción del bloque
        finally:
            try:
                self._cursor.close()
            finally:
                Conexion.liberar_conexion(self._conexion)  # pase lo que pase
