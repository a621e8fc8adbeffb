"""`Conexion`: la clase del curso, con sus cuatro métodos, sobre un pool correcto.

En el curso, `Conexion` crea un `SimpleConnectionPool` la primera vez que se usa y presta
sus conexiones. Aquí hace lo mismo con los mismos nombres (en PEP 8), pero el pool es
`PoolConexiones` (en `pool.py`): seguro entre hilos, espera su turno en vez de fallar
cuando se agota y nunca termina el programa, sino que lanza excepciones propias. Los
datos de conexión no están en el código: los da `.env` (ver `configuracion.py`).
"""

import os
import threading

from acceso_datos import interrupciones
from acceso_datos.conexion_del_pool import ConexionDelPool
from acceso_datos.configuracion import Configuracion, leer_configuracion
from acceso_datos.errores import ErrorAccesoDatos
from acceso_datos.pool import PoolConexiones
from acceso_datos.servidor_embebido import asegurar_servidor


class Conexion:
    """Punto de acceso al pool compartido por toda la aplicación (métodos de clase)."""

    _pool: PoolConexiones | None = None
    # Que dos hilos que piden la primera conexión a la vez no creen dos pools.
    _candado = threading.Lock()

    # `@interrupciones.protegida`: si llega Ctrl-C mientras el método trabaja, su
    # excepción espera a que acabe, y el pool nunca queda a medias (ver el glosario).

    @classmethod
    def obtener_pool(cls) -> PoolConexiones:
        """Devuelve el pool, creándolo con la configuración vigente la primera vez."""
        pool = cls._pool  # ya creado (lo normal): sin tomar el candado
        if pool is None:
            pool = cls._crear_pool()
        return pool

    @classmethod
    @interrupciones.protegida
    def _crear_pool(cls) -> PoolConexiones:
        with cls._candado:
            if cls._pool is None:  # otro hilo pudo crearlo mientras este esperaba el candado
                cls._pool = PoolConexiones(configuracion_resuelta())
            return cls._pool

    @classmethod
    def obtener_conexion(cls, timeout: float | None = None) -> ConexionDelPool:
        """Presta una conexión; espera hasta `timeout` s (DB_POOL_TIMEOUT) si no hay libres."""
        return cls.obtener_pool().prestar(timeout)

    @classmethod
    @interrupciones.protegida
    def liberar_conexion(cls, conexion: ConexionDelPool) -> None:
        """Devuelve al pool una conexión prestada (siempre, también tras un error)."""
        pool = getattr(conexion, "pool", None)  # cada conexión recuerda el pool del que salió
        if not isinstance(pool, PoolConexiones):
            raise ErrorAccesoDatos("Esa conexión no salió del pool de Conexion.")
        pool.devolver(conexion)

    @classmethod
    @interrupciones.protegida
    def cerrar_conexiones(cls) -> None:
        """Cierra todas las conexiones y olvida el pool; el próximo uso crea otro."""
        with cls._candado:
            pool, cls._pool = cls._pool, None
        if pool is not None:
            pool.cerrar()

    @classmethod
    def estadisticas(cls) -> dict[str, int]:
        """minimo, maximo, en_uso, libres y esperando del pool."""
        return cls.obtener_pool().estadisticas()


def configuracion_resuelta() -> Configuracion:
    """La configuración en vigor; si es la embebida, arranca ese servidor y apunta a él."""
    configuracion = leer_configuracion()
    if configuracion.embebido:
        configuracion = asegurar_servidor(configuracion).configurar(configuracion)
    return configuracion


def _nuevo_pool_tras_fork() -> None:
    """Si el programa se copia con `os.fork()` (como hace `multiprocessing` en Linux), la
    copia no usa el pool del original (ver `pool.py`): el primer uso crea uno propio. El
    candado pudo quedar tomado por un hilo que la copia no tiene."""
    Conexion._candado = threading.Lock()
    Conexion._pool = None


if hasattr(os, "register_at_fork"):  # Windows no tiene fork
    os.register_at_fork(after_in_child=_nuevo_pool_tras_fork)
