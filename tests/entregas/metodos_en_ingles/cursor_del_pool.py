from ConexionPool import PoolConexion


class CursorDelPool:
    def __init__(self):
        self._connection = None
        self._cursor = None

    def __enter__(self):
        self._connection = PoolConexion.getConnection()
        self._cursor = self._connection.cursor()
        return self._cursor

    def __exit__(self, exc_type, exc_value, traceback):
        try:
            if exc_value is not None:
                self._connection.rollback()
            else:
                self._connection.commit()
        finally:
            self._cursor.close()
            PoolConexion.releaseConnection(self._connection)
