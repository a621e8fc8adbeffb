"""Pool de conexiones a PostgreSQL: `Conexion` presta conexiones y las recibe de vuelta.

Sustituye al `SimpleConnectionPool` del curso, que no es seguro entre hilos, falla en
vez de esperar cuando se agota y cierra cada conexión devuelta en cuanto hay `minconn`
libres (así casi cada préstamo vuelve a conectar). Este pool se comporta como los de
referencia (psycopg_pool, QueuePool de SQLAlchemy, HikariCP): espera con límite de
tiempo, revisa las conexiones inactivas, deshace lo pendiente al devolver y guarda
abiertas las conexiones sanas para reutilizarlas.
"""

import logging
import threading
import time
from collections import deque

import psycopg2
from psycopg2 import extensions

from acceso_datos.configuracion import Configuracion, leer_configuracion
from acceso_datos.errores import ConexionError, ErrorAccesoDatos, PoolAgotadoError
from acceso_datos.logger_base import log
from acceso_datos.servidor_embebido import asegurar_servidor

# Una conexión usada hace menos de esto no se comprueba: el hilo que la devolvió la
# acaba de ver funcionar, y comprobarla costaría un viaje al servidor en cada préstamo.
VALIDAR_SI_INACTIVA = 1.0
AVISO_ESPERA = 1.0  # segundos de espera a partir de los cuales se avisa en el log
POOL_CERRADO = "El pool se cerró mientras tanto; vuelva a pedir la conexión a Conexion."

_INACTIVA = extensions.TRANSACTION_STATUS_IDLE
_ESTADOS_EN_TRANSACCION = (
    extensions.TRANSACTION_STATUS_INTRANS,
    extensions.TRANSACTION_STATUS_INERROR,
)


class ConexionDelPool(extensions.connection):
    """Conexión de psycopg2 que recuerda a qué pool pertenece y cuándo se usó."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.pool: PoolConexiones | None = None
        self.ultimo_uso = time.monotonic()
        self.prestada_desde: float | None = None
        self.fuga_avisada = False


class _Espera:
    """Un hilo en la cola de espera; quien devuelve una conexión se la pasa en mano."""

    __slots__ = ("senal", "atendida", "conexion")

    def __init__(self):
        # Un candado ya cerrado: el hilo se bloquea al pedirlo hasta que otro lo abre.
        # Hace lo mismo que un threading.Event, pero crearlo cuesta veinte veces menos.
        self.senal = threading.Lock()
        self.senal.acquire()
        self.atendida = False
        # Al atenderla: una conexión, o None = «hay un hueco libre, abra una nueva».
        self.conexion: ConexionDelPool | None = None


class PoolConexiones:
    """Pool seguro entre hilos con espera por orden de llegada y límite de tiempo."""

    def __init__(self, configuracion: Configuracion):
        self.configuracion = configuracion
        self._candado = threading.Lock()
        self._libres: deque[ConexionDelPool] = deque()  # la más reciente, al final
        self._todas: set[ConexionDelPool] = set()  # libres y prestadas: para cerrarlas todas
        self._esperando: deque[_Espera] = deque()
        self._abiertas = 0  # libres + prestadas + las que se están abriendo
        self._cerrado = False
        self._minimo = configuracion.pool_min
        self._maximo = configuracion.pool_max
        self._aviso_fuga = configuracion.pool_leak_warn
        # Cuándo puede haber, como pronto, una fuga que avisar: así cada préstamo no
        # necesita recorrer las conexiones prestadas.
        self._revisar_fugas_en = time.monotonic() + self._aviso_fuga
        try:
            for _ in range(configuracion.pool_min):
                self._abiertas += 1
                conexion = self._abrir()
                self._todas.add(conexion)
                self._libres.append(conexion)
        except ConexionError:
            self.cerrar()
            raise
        log.debug(
            "Pool creado (mínimo %d, máximo %d) hacia %s",
            configuracion.pool_min,
            configuracion.pool_max,
            configuracion.destino(),
        )

    # prestar() y devolver() son el camino caliente: toman el candado con acquire/release
    # explícitos (en CPython 3.11 cuestan la mitad que `with`) y no calculan el texto del
    # log si el nivel DEBUG está apagado.

    def prestar(self, timeout: float | None = None) -> ConexionDelPool:
        """Entrega una conexión; si no hay, espera su turno hasta `timeout` segundos."""
        conexion = espera = None
        ahora = time.monotonic()
        self._candado.acquire()
        try:
            if self._cerrado:
                raise ErrorAccesoDatos(POOL_CERRADO)
            # Mirar en cada préstamo, no solo al agotarse: una fuga debe verse aunque sobren
            # conexiones. La fecha anotada evita recorrer las prestadas cada vez.
            if ahora >= self._revisar_fugas_en:
                self._avisar_fugas(ahora)
            if self._libres:
                conexion = self._libres.pop()
            elif self._abiertas < self._maximo:
                self._abiertas += 1  # hueco reservado: se abre fuera del candado
            else:
                espera = _Espera()
                self._esperando.append(espera)
        finally:
            self._candado.release()
        if espera is not None:
            conexion = self._esperar(espera, timeout)
            ahora = time.monotonic()

        if conexion is None:
            conexion = self._abrir_en_hueco()
        elif ahora - conexion.ultimo_uso > VALIDAR_SI_INACTIVA and not self._responde(conexion):
            conexion = self._reemplazar(conexion)
        conexion.prestada_desde = ahora
        if log.isEnabledFor(logging.DEBUG):
            log.debug("Conexión prestada (%s)", self._contadores())
        return conexion

    def devolver(self, conexion: ConexionDelPool) -> None:
        """Recibe una conexión prestada: deshace lo pendiente y la guarda para reutilizarla."""
        desde = conexion.prestada_desde
        if conexion.pool is not self or desde is None:
            raise ErrorAccesoDatos(
                "Esa conexión no está prestada por este pool (¿se devolvió dos veces?)."
            )
        conexion.prestada_desde = None
        ahora = time.monotonic()
        if conexion.fuga_avisada or ahora - desde > self._aviso_fuga:
            log.warning("Se devolvió una conexión que estuvo prestada %.1f s", ahora - desde)
            conexion.fuga_avisada = False
        # Lo normal es que vuelva con su transacción ya cerrada: nada que deshacer.
        sana = (
            not conexion.closed
            and conexion.get_transaction_status() == _INACTIVA
            and not conexion.autocommit
        ) or self._restablecer(conexion)
        conexion.ultimo_uso = ahora

        a_cerrar = None
        self._candado.acquire()
        try:
            cerrado = self._cerrado
            if not sana or cerrado:
                a_cerrar = [conexion]
                self._todas.discard(conexion)
                self._liberar_hueco()
            elif self._esperando:
                self._atender(self._esperando.popleft(), conexion)
            else:
                self._libres.append(conexion)
                if self._abiertas > self._minimo:
                    a_cerrar = self._retirar_inactivas(ahora)
        finally:
            self._candado.release()

        if a_cerrar:
            for sobrante in a_cerrar:
                sobrante.close()
        if cerrado:
            log.debug("Conexión devuelta a un pool ya cerrado: se cierra")
        elif not sana:
            log.warning("Se descartó una conexión rota al devolverla (%s)", self._contadores())
        elif log.isEnabledFor(logging.DEBUG):
            log.debug("Conexión devuelta (%s)", self._contadores())

    def cerrar(self) -> None:
        """Cierra todas las conexiones, también las prestadas, y despierta a quien espera."""
        with self._candado:
            self._cerrado = True
            conexiones = list(self._todas)
            self._todas.clear()
            self._libres.clear()
            self._abiertas = 0
            while self._esperando:
                self._atender(self._esperando.popleft(), None)
        for conexion in conexiones:
            conexion.close()
        log.debug("Pool cerrado: %d conexiones cerradas", len(conexiones))

    def estadisticas(self) -> dict[str, int]:
        """Contadores del pool en este instante."""
        with self._candado:
            self._avisar_fugas(time.monotonic())
            return {
                "minimo": self._minimo,
                "maximo": self._maximo,
                "en_uso": self._abiertas - len(self._libres),
                "libres": len(self._libres),
                "esperando": len(self._esperando),
            }

    # --- piezas internas -------------------------------------------------------------

    def _esperar(self, espera: _Espera, timeout: float | None) -> ConexionDelPool | None:
        limite = self.configuracion.pool_timeout if timeout is None else max(timeout, 0.0)
        inicio = time.monotonic()
        espera.senal.acquire(timeout=limite)
        esperado = time.monotonic() - inicio
        with self._candado:
            # Se mira `atendida` bajo el candado: pudieron atenderla justo al vencer el plazo.
            if not espera.atendida:
                self._esperando.remove(espera)
                raise PoolAgotadoError(
                    f"Las {self._maximo} conexiones del pool siguen en uso "
                    f"tras esperar {esperado:.1f} s. Devuelva las conexiones que ya no use "
                    "(use `with CursorDelPool()`), o aumente DB_POOL_MAX o DB_POOL_TIMEOUT."
                )
            if self._cerrado:
                raise ErrorAccesoDatos(POOL_CERRADO)
        if esperado > AVISO_ESPERA:
            log.warning("Un hilo esperó %.1f s a que se liberara una conexión", esperado)
        return espera.conexion

    def _atender(self, espera: _Espera, conexion: ConexionDelPool | None) -> None:
        """Pasa la conexión (o el hueco, si es None) al primero de la cola. Con el candado."""
        if conexion is None and not self._cerrado:
            self._abiertas += 1
        espera.conexion = conexion
        espera.atendida = True
        espera.senal.release()

    def _liberar_hueco(self) -> None:
        """Una conexión dejó de existir: su hueco pasa al primero que espera. Con el candado."""
        if self._cerrado:
            return
        self._abiertas -= 1
        if self._esperando:
            self._atender(self._esperando.popleft(), None)

    def _abrir_en_hueco(self) -> ConexionDelPool:
        try:
            conexion = self._abrir()
        except ConexionError:
            with self._candado:
                self._liberar_hueco()
            raise
        with self._candado:
            self._todas.add(conexion)
        return conexion

    def _reemplazar(self, muerta: ConexionDelPool) -> ConexionDelPool:
        # Tras reiniciar el servidor o matar el proceso del backend, la conexión ociosa
        # ya no sirve: se cambia por una nueva sin que quien la pidió vea ningún error.
        log.warning("Se descartó una conexión que ya no respondía; se abre otra")
        with self._candado:
            self._todas.discard(muerta)
        muerta.close()
        return self._abrir_en_hueco()

    def _abrir(self) -> ConexionDelPool:
        configuracion = self.configuracion
        try:
            conexion = psycopg2.connect(
                connection_factory=ConexionDelPool, **configuracion.parametros_conexion()
            )
        except psycopg2.OperationalError as error:
            raise ConexionError(describir_fallo_de_conexion(configuracion, error)) from error
        conexion.pool = self
        log.debug("Nueva conexión abierta con %s", configuracion.destino())
        return conexion

    @staticmethod
    def _responde(conexion: ConexionDelPool) -> bool:
        """Un viaje mínimo al servidor; en autocommit para no abrir una transacción."""
        try:
            conexion.autocommit = True
            with conexion.cursor() as cursor:
                cursor.execute("SELECT 1")
            conexion.autocommit = False
            return True
        except psycopg2.Error:
            return False

    @staticmethod
    def _restablecer(conexion: ConexionDelPool) -> bool:
        """Deja la conexión como nueva para el siguiente; False si está rota."""
        if conexion.closed:
            return False
        estado = conexion.get_transaction_status()
        if estado == extensions.TRANSACTION_STATUS_UNKNOWN:
            return False
        try:
            # Sin esto, el siguiente heredaría una transacción a medias (o fallida).
            if estado in _ESTADOS_EN_TRANSACCION:
                conexion.rollback()
            if conexion.autocommit:
                conexion.autocommit = False
        except psycopg2.Error:
            return False
        return not conexion.closed

    def _retirar_inactivas(self, ahora: float) -> list[ConexionDelPool]:
        """Saca las libres sobre el mínimo sin uso desde hace DB_POOL_MAX_IDLE. Con el candado."""
        retiradas = []
        limite = ahora - self.configuracion.pool_max_idle
        while (
            self._libres and self._abiertas > self._minimo and self._libres[0].ultimo_uso < limite
        ):
            retirada = self._libres.popleft()
            self._todas.discard(retirada)
            retiradas.append(retirada)
            self._abiertas -= 1
        return retiradas

    def _avisar_fugas(self, ahora: float) -> None:
        """Avisa una vez por conexión prestada hace más de DB_POOL_LEAK_WARN y anota cuándo
        hará falta volver a mirar. Con el candado."""
        # Como tarde, cuando la que se presta ahora (aún no anotada) pueda ser una fuga.
        proxima = ahora + self._aviso_fuga
        for conexion in self._todas:
            desde = conexion.prestada_desde
            # None: libre, o entregándose ahora mismo (la cubre el valor inicial de `proxima`).
            if desde is None or conexion.fuga_avisada:
                continue
            if ahora - desde > self._aviso_fuga:
                conexion.fuga_avisada = True
                log.warning(
                    "Posible fuga: una conexión lleva %.0f s prestada sin devolverse "
                    "(¿falta un liberar_conexion o un `with CursorDelPool()`?)",
                    ahora - desde,
                )
            else:
                proxima = min(proxima, desde + self._aviso_fuga)
        self._revisar_fugas_en = proxima

    def _contadores(self) -> str:
        libres = len(self._libres)
        return (
            f"en uso {self._abiertas - libres}, libres {libres}, esperando {len(self._esperando)}"
        )


def describir_fallo_de_conexion(configuracion: Configuracion, error: Exception) -> str:
    """Mensaje en español para un fallo al conectar: dónde, por qué y qué hacer."""
    motivo = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    if configuracion.password:
        motivo = motivo.replace(configuracion.password, "***")
    texto = motivo.lower()
    if configuracion.embebido:
        consejo = (
            "El PostgreSQL embebido no responde: salga y vuelva a ejecutar el programa; si "
            f"sigue fallando, el motivo está en {configuracion.directorio_embebido / 'log'}."
        )
    elif "password" in texto or "authentication" in texto:
        consejo = "Revise DB_USER y DB_PASSWORD (o DATABASE_URL) en su archivo .env."
    elif "does not exist" in texto and "role" in texto:
        consejo = "Ese usuario no existe en el servidor: revise DB_USER."
    elif "does not exist" in texto and "database" in texto:
        consejo = "Cree esa base de datos o cambie DB_NAME."
    else:
        consejo = (
            "Compruebe que el servidor está en marcha y que DB_HOST y DB_PORT son "
            "correctos, o quite DB_HOST y DATABASE_URL para usar el PostgreSQL embebido."
        )
    servidor = f"{configuracion.host or 'localhost'}:{configuracion.puerto}"
    return (
        f"No se pudo conectar a PostgreSQL en {servidor} (base '{configuracion.base}', "
        f"usuario '{configuracion.usuario}'): {motivo}. {consejo}"
    )


def configuracion_resuelta() -> Configuracion:
    """La configuración en vigor; si es la embebida, arranca ese servidor y apunta a él."""
    configuracion = leer_configuracion()
    if configuracion.embebido:
        configuracion = asegurar_servidor(configuracion).configurar(configuracion)
    return configuracion


class Conexion:
    """Punto de acceso al pool compartido por toda la aplicación (métodos de clase)."""

    _pool: PoolConexiones | None = None
    _candado = threading.Lock()

    @classmethod
    def obtener_pool(cls) -> PoolConexiones:
        """Devuelve el pool, creándolo con la configuración vigente la primera vez."""
        pool = cls._pool
        if pool is None:
            with cls._candado:
                if cls._pool is None:
                    cls._pool = PoolConexiones(configuracion_resuelta())
                pool = cls._pool
        return pool

    @classmethod
    def obtener_conexion(cls, timeout: float | None = None) -> ConexionDelPool:
        """Presta una conexión; espera hasta `timeout` s (DB_POOL_TIMEOUT) si no hay libres."""
        pool = cls._pool or cls.obtener_pool()
        return pool.prestar(timeout)

    @classmethod
    def liberar_conexion(cls, conexion: ConexionDelPool) -> None:
        """Devuelve al pool una conexión prestada (siempre, también tras un error)."""
        try:
            devolver = conexion.pool.devolver  # cada conexión recuerda el pool del que salió
        except AttributeError:
            raise ErrorAccesoDatos("Esa conexión no salió del pool de Conexion.") from None
        devolver(conexion)

    @classmethod
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
