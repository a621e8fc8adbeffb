"""`PoolConexiones`: el pool por dentro, el que presta y recibe las conexiones.

Espera su turno con límite de tiempo, revisa las conexiones inactivas, deja como nueva
cada conexión devuelta y guarda abiertas las sanas para reutilizarlas. Ninguna espera es
infinita (ni la del turno, ni la de conectar, ni la del servidor) y Ctrl-C interrumpe
cualquiera sin perder huecos (ver `interrupciones`). En qué se parece a otros pools, y lo
medido, en docs/pool.md.

Cómo leerlo: `prestar` y `devolver`; el resto son sus piezas. Las palabras (prestar,
devolver, hueco, validar, colarse, fuga...) tienen el sentido del glosario del README.
"""

import os
import threading
import time
import weakref
from collections import deque

import psycopg2
from psycopg2 import extensions

from acceso_datos import interrupciones, vigia
from acceso_datos.conectar import abrir_conexion
from acceso_datos.conexion_del_pool import ConexionDelPool
from acceso_datos.configuracion import Configuracion
from acceso_datos.errores import ErrorAccesoDatos, PoolAgotadoError, ServidorNoRespondeError
from acceso_datos.formato import plural, segundos
from acceso_datos.logger_base import log

# Una conexión usada hace menos de esto no se comprueba: el hilo que la devolvió la
# acaba de ver funcionar, y comprobarla costaría un viaje al servidor en cada préstamo.
VALIDAR_SI_INACTIVA = 1.0
ESPERA_DEL_PING = 5.0  # segundos como mucho para esa comprobación (o DB_QUERY_TIMEOUT si es menor)
AVISO_ESPERA = 1.0  # segundos de espera a partir de los cuales se avisa en el log
# Colarse: mientras el primero de la cola lleve esperando menos que esto, una conexión
# devuelta queda libre y se le despierta para que vaya a por ella, y un hilo que ya está en
# marcha puede llevársela antes. Pasado este tiempo, la siguiente que se devuelva se le
# entrega en mano. Entregarlas siempre en mano es lo más justo, pero cada préstamo
# esperaría a que despierte otro hilo (medido en docs/pool.md, «La cola y quién puede
# colarse»).
COLARSE_HASTA = 0.1
# Al cerrar el pool se espera, como mucho esto, a que salgan las cancelaciones pendientes.
ESPERA_CANCELACIONES = 1.0
POOL_CERRADO = "El pool se cerró mientras tanto; vuelva a pedir la conexión a Conexion."
NO_PRESTADA = "Esa conexión no está prestada por este pool (¿se devolvió dos veces?)."

_INACTIVA = extensions.TRANSACTION_STATUS_IDLE
_ESTADOS_EN_TRANSACCION = (
    extensions.TRANSACTION_STATUS_INTRANS,
    extensions.TRANSACTION_STATUS_INERROR,
)

# Todos los pools del proceso, para olvidarlos en el hijo de un fork (ver más abajo).
_POOLS: "weakref.WeakSet[PoolConexiones]" = weakref.WeakSet()


class _Espera:
    """Un hilo en la cola de espera, hasta que alguien lo atiende (ver `_atender`)."""

    def __init__(self, desde: float) -> None:
        # Un candado ya cerrado: el hilo se bloquea al pedirlo hasta que quien lo atiende lo
        # abre. Hace lo mismo que un threading.Event, pero cuesta menos: con 64 hilos sobre
        # 5 conexiones casi cada préstamo espera, y con Event el pool solo (sin consultas)
        # hacía un 30-40 % menos préstamos por segundo.
        self.senal = threading.Lock()
        self.senal.acquire()
        self.desde = desde  # cuándo empezó a esperar; no cambia si vuelve a la cola
        self.atendida = False
        # Lo que tiene en mano: una conexión, un hueco (abrir una nueva), o nada: entonces
        # lo despertaron para que vaya a por una libre, y otro pudo colarse antes.
        self.conexion: ConexionDelPool | None = None
        self.hueco = False
        self.a_por_una = False  # despertada para ir a por una libre, y aún no ha mirado


@interrupciones.espera
def _esperar_la_senal(espera: _Espera, fin: float) -> None:
    """Espera en la cola hasta que atiendan a `espera` o hasta `fin`: Ctrl-C la corta."""
    espera.senal.acquire(timeout=min(max(0.0, fin - time.monotonic()), threading.TIMEOUT_MAX))


class PoolConexiones:
    """Pool seguro entre hilos con espera por orden de llegada y límite de tiempo (de la
    cola solo se adelanta quien llega justo cuando se devuelve una: ver COLARSE_HASTA)."""

    def __init__(self, configuracion: Configuracion):
        self.configuracion = configuracion
        self._candado = threading.Lock()
        self._libres: deque[ConexionDelPool] = deque()  # la más reciente, al final
        self._todas: set[ConexionDelPool] = set()  # libres y prestadas: para cerrarlas todas
        self._esperando: deque[_Espera] = deque()
        # Despertados para ir a por una libre que aún no han vuelto a mirar: no se despierta
        # a más hilos que cosas libres hay (cada despertar de más es un cambio de hilo en balde).
        self._despertados = 0
        self._abiertas = 0  # libres + prestadas + las que se están abriendo
        self._cerrado = False
        self._cancelaciones: list[threading.Thread] = []
        self._minimo = configuracion.pool_min
        self._maximo = configuracion.pool_max
        self._aviso_fuga = configuracion.pool_leak_warn
        self._espera_maxima = configuracion.query_timeout
        self._espera_del_ping = min(ESPERA_DEL_PING, configuracion.query_timeout)
        self._reinicio = configuracion.pool_reset
        self._colarse_hasta = COLARSE_HASTA
        # Cuándo puede haber, como pronto, una fuga que avisar: así cada préstamo no
        # necesita recorrer las conexiones prestadas.
        self._revisar_fugas_en = time.monotonic() + self._aviso_fuga
        vigia.arrancar()
        # Solo el hilo principal puede atender Ctrl-C (ver vigia.atender_ctrl_c): si el pool
        # se crea en otro, se atiende desde la primera vez que el principal lo usa.
        self._principal = threading.main_thread().ident
        self._sin_ctrl_c = threading.get_ident() != self._principal
        # El vigía se suelta una sola vez: al cerrar el pool o, si nadie lo cierra, cuando
        # el pool desaparece.
        self._soltar_vigia = weakref.finalize(self, vigia.soltar)
        _POOLS.add(self)
        try:
            for _ in range(configuracion.pool_min):
                self._abiertas += 1
                conexion = self._abrir()
                self._todas.add(conexion)
                self._libres.append(conexion)
        except BaseException:  # también Ctrl-C: no quedan conexiones abiertas a medias
            self.cerrar()
            raise
        log.debug(
            "Pool creado (mínimo %d, máximo %d) hacia %s",
            configuracion.pool_min,
            configuracion.pool_max,
            configuracion.destino(),
        )

    @interrupciones.protegida_a_mano
    def prestar(self, timeout: float | None = None) -> ConexionDelPool:
        """Entrega una conexión; si no hay, espera su turno hasta `timeout` segundos."""
        # Si el pool se creó en otro hilo, Ctrl-C se atiende (ver el glosario: señal) desde
        # la primera vez que lo usa el hilo principal.
        if self._sin_ctrl_c and threading.get_ident() == self._principal:
            self._sin_ctrl_c = not vigia.atender_ctrl_c()
        conexion = espera = None
        reservada = False  # ¿tiene ya un hueco (con su conexión, o por abrir) que soltar?
        validando = False  # ¿abriendo o comprobando la conexión? (si falla, no vale)
        ahora = time.monotonic()  # un reloj que solo avanza, aunque se cambie la hora
        try:
            with self._candado:
                if self._cerrado:
                    raise ErrorAccesoDatos(POOL_CERRADO)
                # Mirar en cada préstamo, no solo al agotarse: una fuga debe verse aunque
                # sobren conexiones. La fecha anotada evita recorrer las prestadas cada vez.
                if ahora >= self._revisar_fugas_en:
                    self._avisar_fugas(ahora)
                if self._libres:  # aunque haya cola: quien ya está en marcha se cuela
                    conexion = self._libres.pop()
                    reservada = True
                elif self._abiertas < self._maximo:
                    # Un hueco: se cuenta ya la conexión, y se abre fuera del candado (tarda
                    # milisegundos).
                    self._abiertas += 1
                    reservada = True
                else:
                    espera = _Espera(ahora)
                    self._esperando.append(espera)
            if espera is not None:
                conexion = self._esperar(espera, timeout)
                reservada, espera = True, None
                ahora = time.monotonic()
            # None: un hueco sin conexión, que hay que abrir; una que lleva rato sin usarse
            # se valida antes de prestarla, y una abandonada o cerrada se cambia.
            if (
                conexion is None
                or ahora - conexion.ultimo_uso > VALIDAR_SI_INACTIVA
                or conexion.abandonada
                or conexion.closed
            ):
                validando = True
                conexion = self._preparar(conexion)
                validando = False
            log.debug("Conexión prestada (%s)", self)
            if interrupciones.pendiente:  # Ctrl-C mientras tanto: aún se puede soltar todo
                interrupciones.entregar_pendiente()
        except BaseException:
            # Un fallo al abrir o validar, o Ctrl-C (en una espera, o aplazado hasta aquí):
            # este hilo sale de la cola, y el hueco o la conexión que tuviera pasan a otro.
            if espera is not None:
                self._salir_de_la_cola(espera)
            elif conexion is not None and not validando:
                self._volver_al_pool(conexion, time.monotonic())  # sin usar: tal cual
            elif reservada:
                self._descartar(conexion)
            interrupciones.entregar_pendiente()
            raise
        conexion.prestada_desde = ahora
        return conexion

    @interrupciones.protegida
    def devolver(self, conexion: ConexionDelPool) -> None:
        """Recibe una conexión prestada, la deja como nueva y la guarda para reutilizarla."""
        if conexion.pool is not self:
            raise ErrorAccesoDatos(NO_PRESTADA)
        # Lo normal: vuelve sin transacción abierta (según el servidor) y sin ajustes de
        # sesión cambiados, y no hay nada que hacer; mirarlo no cuesta ningún viaje al
        # servidor. Si no, o si DB_POOL_RESET (`_reinicio`) pide limpiar siempre,
        # `_devolver_sucia` la deja como nueva o la descarta.
        limpia = (
            not self._reinicio
            and not conexion.closed
            and not conexion.abandonada
            and conexion.get_transaction_status() == _INACTIVA
            and not conexion.autocommit
            and conexion.readonly is None
            and conexion.isolation_level is None
            and conexion.deferrable is None
        )
        ahora = time.monotonic()
        guardada = False
        a_cerrar = None
        with self._candado:
            # Comprobar y anotar bajo el candado: si dos hilos devolvieran la misma
            # conexión a la vez, solo uno la pasaría, y nunca estaría dos veces libre.
            desde = conexion.prestada_desde
            if desde is None:
                raise ErrorAccesoDatos(NO_PRESTADA)
            conexion.prestada_desde = None
            conexion.ultimo_uso = ahora
            posible_fuga = conexion.fuga_avisada or ahora - desde > self._aviso_fuga
            conexion.fuga_avisada = False
            if limpia and not self._cerrado:
                # La deja libre o, si alguien espera, se la pasa o lo despierta (ver
                # Colarse); devuelve las libres que sobran (ociosas más de
                # DB_POOL_MAX_IDLE), para cerrarlas fuera del candado.
                a_cerrar = self._guardar(conexion, ahora)
                guardada = True

        if posible_fuga:
            prestada = segundos(ahora - desde)
            log.warning("Se devolvió una conexión que estuvo prestada %s", prestada)
        if not guardada:
            self._devolver_sucia(conexion, ahora)
            return
        for sobrante in a_cerrar or ():
            sobrante.close()
        log.debug("Conexión devuelta (%s)", self)

    @interrupciones.protegida
    def cerrar(self) -> None:
        """Cierra todas las conexiones, también las prestadas, y despierta a quien espera."""
        with self._candado:
            self._cerrado = True
            conexiones = list(self._todas)
            self._todas.clear()
            self._libres.clear()
            self._abiertas = 0
            while self._esperando:  # despiertan, ven el pool cerrado y se van
                self._atender(self._esperando.popleft())
            cancelaciones, self._cancelaciones = self._cancelaciones, []
        for conexion in conexiones:
            # Una prestada que espera al servidor en otro hilo se cierra cuando esa espera
            # acaba: como mucho DB_QUERY_TIMEOUT.
            conexion.close()
        _esperar_cancelaciones(cancelaciones)
        self._soltar_vigia()  # si era el último pool, el vigía termina
        log.debug(
            "Pool cerrado: %s", plural(len(conexiones), "conexión cerrada", "conexiones cerradas")
        )

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

    def cancelar_en_el_servidor(self, pid: int) -> None:
        """Pide, sin bloquear a nadie, que el servidor cancele lo que hace el proceso `pid`."""
        # Se corta la espera, pero el servidor no se entera: seguiría ejecutando la orden
        # (y reteniendo sus bloqueos) hasta acabarla. conexion.cancel() de psycopg2 no
        # sirve aquí: si el servidor no contesta, se bloquea sin soltar el GIL. Así que se
        # pide pg_cancel_backend() desde una conexión nueva, en un hilo aparte, con las
        # mismas esperas acotadas; si el servidor no contesta, ese hilo se rinde solo.
        log.info("Espera al servidor abandonada: se pide cancelar la orden del proceso %d", pid)
        hilo = threading.Thread(
            target=self._cancelar, args=(pid,), name=f"cancelar-{pid}", daemon=True
        )
        hilo.start()  # antes de anotarlo: cerrar() solo espera a hilos ya en marcha
        with self._candado:
            self._cancelaciones = [h for h in self._cancelaciones if h.is_alive()]
            self._cancelaciones.append(hilo)

    # --- piezas internas -------------------------------------------------------------

    def _esperar(self, espera: _Espera, timeout: float | None) -> ConexionDelPool | None:
        """Espera en la cola hasta recibir una conexión o un hueco (None), o hasta `timeout`."""
        limite = self.configuracion.pool_timeout if timeout is None else timeout
        # Un plazo enorme (1e10, inf) es «sin límite»: se acota a lo que admite el sistema.
        limite = min(max(0.0, limite), threading.TIMEOUT_MAX)
        fin = espera.desde + limite
        while not self._turno(espera, fin):
            pass  # otro se coló: sigue el primero de la cola
        esperado = time.monotonic() - espera.desde
        if esperado > AVISO_ESPERA:
            log.warning("Un hilo esperó %s a que se liberara una conexión", segundos(esperado))
        return espera.conexion

    def _turno(self, espera: _Espera, fin: float) -> bool:
        """Espera a que lo atiendan. True si ya tiene una conexión o un hueco en `espera`;
        False si fue a por una libre y otro se coló: entonces vuelve al principio de la cola."""
        _esperar_la_senal(espera, fin)
        with self._candado:
            self._ya_mira(espera)
            # Se mira `atendida` bajo el candado: pudieron atenderla justo al vencer el plazo.
            if not espera.atendida:
                self._esperando.remove(espera)
                todas = (
                    "La conexión del pool sigue en uso"
                    if self._maximo == 1
                    else f"Las {self._maximo} conexiones del pool siguen en uso"
                )
                raise PoolAgotadoError(
                    f"{todas} tras esperar {segundos(time.monotonic() - espera.desde)}. "
                    "Devuelva las conexiones que ya no use (use `with CursorDelPool()`), o "
                    "aumente DB_POOL_MAX o DB_POOL_TIMEOUT."
                )
            if self._cerrado:
                raise ErrorAccesoDatos(POOL_CERRADO)
            if espera.conexion is not None or espera.hueco:
                return True  # se la dieron en mano
            if self._libres:
                espera.conexion = self._libres.pop()
            elif self._abiertas < self._maximo:
                self._abiertas += 1
                espera.hueco = True
            else:
                espera.atendida = False
                self._esperando.appendleft(espera)  # con su antigüedad: pronto se la darán en mano
                return False
            self._despertar_si_hay_algo()  # si aún queda algo libre, para el siguiente
            return True

    def _salir_de_la_cola(self, espera: _Espera) -> None:
        """Un hilo deja de esperar por una excepción suya (Ctrl-C): sale de la cola, y lo que
        ya tuviera (una conexión, un hueco, o que lo despertaran para ir a por una) pasa al
        siguiente: nada se pierde con este hilo."""
        with self._candado:
            if not espera.atendida:
                if espera in self._esperando:  # la excepción pudo llegar antes de la cola
                    self._esperando.remove(espera)
                return
            self._ya_mira(espera)
            conexion, hueco = espera.conexion, espera.hueco
            espera.conexion, espera.hueco = None, False
            if conexion is None and not hueco:
                self._despertar_si_hay_algo()
                return
        if conexion is not None:
            self._volver_al_pool(conexion, time.monotonic())
        else:
            self._descartar(None)  # el hueco que le habían pasado

    def _volver_al_pool(self, conexion: ConexionDelPool, ahora: float) -> None:
        """Una conexión en buen estado vuelve al pool (ver _guardar); si se cerró, se cierra."""
        with self._candado:
            cerrado = self._cerrado
            sobrantes = None if cerrado else self._guardar(conexion, ahora)
        if cerrado:
            conexion.close()
        for sobrante in sobrantes or ():
            sobrante.close()

    def _preparar(self, conexion: ConexionDelPool | None) -> ConexionDelPool:
        """En un hueco ya reservado: abre una conexión, o comprueba la que lleva tiempo inactiva.

        Si algo falla, también Ctrl-C, prestar() suelta el hueco.
        """
        if conexion is not None and (
            conexion.abandonada or conexion.closed or not self._responde(conexion)
        ):
            # Tras reiniciar el servidor, matar su proceso o perder la red, la conexión
            # ociosa ya no sirve: se cambia por una nueva sin que quien la pidió lo note.
            log.info("Se descartó una conexión que ya no respondía; se abre otra")
            self._olvidar(conexion)
            conexion = None
        if conexion is None:
            conexion = self._abrir()
            with self._candado:
                self._todas.add(conexion)
        return conexion

    def _guardar(self, conexion: ConexionDelPool, ahora: float) -> list[ConexionDelPool] | None:
        """Deja la conexión libre o, si alguien espera, se la pasa (ver COLARSE_HASTA). Con
        el candado.

        Devuelve las libres sobrantes que hay que cerrar (fuera del candado)."""
        if self._esperando:
            if ahora - self._esperando[0].desde >= self._colarse_hasta:
                self._atender(self._esperando.popleft(), conexion)  # en mano
            else:
                self._libres.append(conexion)
                self._despertar_si_hay_algo()  # que vaya a por ella el primero
            return None
        self._libres.append(conexion)
        if self._abiertas > self._minimo:
            return self._retirar_inactivas(ahora)
        return None

    def _devolver_sucia(self, conexion: ConexionDelPool, ahora: float) -> None:
        """Devolver por el camino lento: restablecer la sesión, o descartar la conexión."""
        if self._cerrado:
            self._descartar(conexion)
            log.debug("Conexión devuelta a un pool ya cerrado: se cierra")
            return
        try:
            sana = self._restablecer(conexion)
        except BaseException:  # Ctrl-C a mitad: la conexión queda en un estado desconocido
            self._descartar(conexion)
            raise
        if not sana:
            self._descartar(conexion)
            if conexion.abandonada:  # ya se avisó al cortar la espera
                log.debug("Se descartó una conexión abandonada (%s)", self)
            else:
                log.info("Se descartó una conexión rota al devolverla (%s)", self)
            return
        self._volver_al_pool(conexion, ahora)
        log.debug("Conexión devuelta y restablecida (%s)", self)

    def _atender(
        self, espera: _Espera, conexion: ConexionDelPool | None = None, hueco: bool = False
    ) -> None:
        """Despierta a `espera` con una conexión o un hueco en mano, o sin nada, para que
        vaya a por una libre. Con el candado."""
        if hueco:
            self._abiertas += 1
        espera.conexion = conexion
        espera.hueco = hueco
        espera.atendida = True
        espera.senal.release()

    def _despertar_si_hay_algo(self) -> None:
        """Si hay cola y más cosas libres (conexiones o huecos) que hilos ya despertados
        para ir a por ellas, despierta al primero. Con el candado."""
        libre = len(self._libres) + self._maximo - self._abiertas
        if self._esperando and self._despertados < libre:
            espera = self._esperando.popleft()
            espera.a_por_una = True
            self._despertados += 1
            self._atender(espera)

    def _ya_mira(self, espera: _Espera) -> None:
        """`espera` ya mira qué hay libre: deja de contar como despertada. Con el candado."""
        if espera.a_por_una:
            espera.a_por_una = False
            self._despertados -= 1

    def _liberar_hueco(self) -> None:
        """Una conexión dejó de existir: su hueco pasa al primero que espera. Con el candado."""
        if self._cerrado:
            return
        self._abiertas -= 1
        if self._esperando:
            self._atender(self._esperando.popleft(), hueco=True)

    def _olvidar(self, conexion: ConexionDelPool) -> None:
        """Cierra una conexión y la olvida; su hueco sigue reservado."""
        with self._candado:
            self._todas.discard(conexion)
        conexion.close()

    def _descartar(self, conexion: ConexionDelPool | None) -> None:
        """Cierra la conexión (si la hay) y libera su hueco para el siguiente."""
        if conexion is not None:
            self._olvidar(conexion)
        with self._candado:
            self._liberar_hueco()

    def _abrir(self) -> ConexionDelPool:
        conexion = abrir_conexion(self.configuracion)
        conexion.pool = self
        conexion.espera_maxima = self._espera_maxima
        log.debug("Nueva conexión abierta con %s", self.configuracion.destino())
        return conexion

    def _responde(self, conexion: ConexionDelPool) -> bool:
        """Un viaje mínimo al servidor, con su propio plazo corto y en autocommit para no
        abrir una transacción."""
        conexion.espera_maxima = self._espera_del_ping
        try:
            conexion.autocommit = True
            with conexion.cursor() as cursor:
                cursor.execute("SELECT 1")
            conexion.autocommit = False
            return True
        except (psycopg2.Error, ServidorNoRespondeError):
            return False
        finally:
            conexion.espera_maxima = self._espera_maxima

    def _restablecer(self, conexion: ConexionDelPool) -> bool:
        """Deja la conexión como nueva para el siguiente; False si está rota."""
        if conexion.closed or conexion.abandonada:
            return False
        estado = conexion.get_transaction_status()
        # ACTIVE (una orden en curso) o UNKNOWN (rota): no se puede dejar como nueva.
        if estado != _INACTIVA and estado not in _ESTADOS_EN_TRANSACCION:
            return False
        try:
            # Se mira el estado del servidor, no el de psycopg2: quien la tuvo pudo abrir la
            # transacción con un BEGIN propio en autocommit, y entonces psycopg2 no sabe que
            # existe y su rollback() no haría nada; el siguiente confirmaría esos cambios.
            if estado in _ESTADOS_EN_TRANSACCION:
                if conexion.status == extensions.STATUS_BEGIN:
                    conexion.rollback()
                else:
                    conexion.autocommit = True
                    with conexion.cursor() as cursor:
                        cursor.execute("ROLLBACK")
            # Lo que se cambia con set_session (o con .autocommit/.readonly...) se devuelve
            # a los valores por defecto; psycopg2 solo va al servidor si hace falta.
            if (
                conexion.autocommit
                or conexion.readonly is not None
                or conexion.isolation_level is not None
                or conexion.deferrable is not None
            ):
                conexion.set_session(
                    isolation_level="DEFAULT",
                    readonly="DEFAULT",
                    deferrable="DEFAULT",
                    autocommit=False,
                )
            if self._reinicio:
                self._ejecutar_reinicio(conexion)
        except (psycopg2.Error, ServidorNoRespondeError):
            log.debug("No se pudo restablecer la conexión devuelta", exc_info=True)
            return False
        return not conexion.closed and conexion.get_transaction_status() == _INACTIVA

    def _ejecutar_reinicio(self, conexion: ConexionDelPool) -> None:
        """DB_POOL_RESET (p. ej. DISCARD ALL), fuera de transacción: DISCARD no admite una."""
        conexion.autocommit = True
        try:
            with conexion.cursor() as cursor:
                cursor.execute(self._reinicio)
        except psycopg2.Error as error:
            if not conexion.closed:
                log.warning(
                    "DB_POOL_RESET falló y la conexión se descarta: %s",
                    str(error).strip() or type(error).__name__,
                )
            raise
        finally:
            if not conexion.closed:
                conexion.autocommit = False

    def _cancelar(self, pid: int) -> None:
        try:
            conexion = self._abrir()
        except ErrorAccesoDatos:
            log.info("No se pudo pedir la cancelación del proceso %d: el servidor no responde", pid)
            return
        conexion.pool = None  # si esta espera también se corta, no pide otra cancelación
        try:
            conexion.autocommit = True
            with conexion.cursor() as cursor:
                cursor.execute("SELECT pg_cancel_backend(%s)", (pid,))
        except (psycopg2.Error, ErrorAccesoDatos):
            log.info("No se pudo cancelar la orden del proceso %d", pid, exc_info=True)
        finally:
            conexion.close()

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

    def _abandonar_tras_fork(self) -> None:
        """En el hijo de un fork: no volver a tocar las conexiones, que son del padre."""
        # Otro hilo del padre pudo tener el candado en el momento del fork; en el hijo ese
        # hilo no existe y nadie lo soltaría.
        self._candado = threading.Lock()
        self._cerrado = True
        self._soltar_vigia.detach()  # el vigía del padre no existe aquí; el del hijo es otro
        # Los sockets son los mismos que usa el padre. En el hijo se apuntan a /dev/null:
        # lo que el hijo hiciera con ellas (un commit, un close que envía «Terminate»)
        # fallaría aquí en vez de llegar a las sesiones del padre.
        nulo = os.open(os.devnull, os.O_RDWR)
        try:
            for conexion in self._todas:
                if not conexion.closed:
                    os.dup2(nulo, conexion.fileno())
        finally:
            os.close(nulo)
        self._todas.clear()
        self._libres.clear()
        self._esperando.clear()
        self._cancelaciones = []
        self._abiertas = 0

    def __str__(self) -> str:
        # Los contadores, para el log: `log.debug("... (%s)", self)` solo los calcula si el
        # nivel DEBUG está activo (formatearlos en cada préstamo duplicaba lo que cuesta el
        # pool por sí solo, sin contar la consulta).
        libres = len(self._libres)
        return (
            f"en uso {self._abiertas - libres}, libres {libres}, esperando {len(self._esperando)}"
        )


@interrupciones.espera
def _esperar_cancelaciones(cancelaciones: list[threading.Thread]) -> None:
    """Que las cancelaciones recién pedidas salgan antes de que el programa termine (son
    hilos daemon); si el servidor no contesta, no se espera más de ESPERA_CANCELACIONES."""
    limite = time.monotonic() + ESPERA_CANCELACIONES
    for hilo in cancelaciones:
        hilo.join(max(0.0, limite - time.monotonic()))


def _olvidar_pools_tras_fork() -> None:
    """En el hijo de un fork: los pools heredados, cerrados sin usar ni cerrar las
    conexiones del padre (ver `_abandonar_tras_fork`)."""
    for pool in list(_POOLS):
        pool._abandonar_tras_fork()


if hasattr(os, "register_at_fork"):  # Windows no tiene fork
    os.register_at_fork(after_in_child=_olvidar_pools_tras_fork)
