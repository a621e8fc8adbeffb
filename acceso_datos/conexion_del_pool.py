"""`ConexionDelPool`: la conexión de psycopg2 que presta el pool.

Es una subclase porque la conexión de psycopg2 está escrita en C y no admite atributos
nuevos; `psycopg2.connect(connection_factory=ConexionDelPool)` crea las de esta clase.
Recuerda a qué pool pertenece y cuándo se usó; sus esperas al servidor las vigila el vigía
(ver `vigia`), que puede abandonarla; y sabe terminar una transacción como lo necesita
`CursorDelPool`: `confirmar()` distingue «no se hizo» de «no se sabe si se hizo», y
`deshacer()` nunca tapa la excepción que lo motivó.
"""

import os
import socket
import threading
import time
from typing import TYPE_CHECKING, Any

import psycopg2
from psycopg2 import extensions

from acceso_datos import interrupciones, vigia
from acceso_datos.configuracion import nombre_de_servidor
from acceso_datos.errores import (
    ConexionError,
    ErrorAccesoDatos,
    ResultadoDesconocidoError,
    ServidorNoRespondeError,
    es_conexion_perdida,
)
from acceso_datos.formato import segundos
from acceso_datos.logger_base import log

if TYPE_CHECKING:  # solo para los tipos: el pool importa este módulo
    from acceso_datos.pool import PoolConexiones

RESULTADO_DESCONOCIDO = (
    "Se perdió la conexión con PostgreSQL mientras confirmaba (COMMIT) y no se sabe si "
    "los cambios se guardaron. Compruébelo antes de repetir la operación: repetirla "
    "podría hacerla dos veces."
)


class ConexionDelPool(extensions.connection):
    """Conexión de psycopg2 que recuerda a qué pool pertenece y cuándo se usó, y cuyas
    esperas al servidor vigila el vigía (ver `vigia`)."""

    pool: "PoolConexiones | None" = None
    espera_maxima: float | None = None  # límite de cada espera al servidor; None: sin límite
    senal_que_corto: int | None = None  # la señal (Ctrl-C...) por la que el vigía la abandonó

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        with vigia.descodificando_en_c():  # para que Ctrl-C no deje una traza (ver allí)
            super().__init__(*args, **kwargs)
        self.ultimo_uso = time.monotonic()
        self.prestada_desde: float | None = None
        self.fuga_avisada = False
        self.abandonada = False  # el vigía cortó una espera (plazo o Ctrl-C): no se reutiliza
        self.candado_del_vigia = threading.Lock()  # el vigía lo tiene mientras la abandona
        # Lo que se necesita para abandonarla, guardado ahora: mientras espera en libpq, la
        # conexión no se puede consultar. El socket es un duplicado del de libpq: cortarlo
        # corta la conexión, y como es nuestro, su número no puede pasar a otro socket.
        self.destino = nombre_de_servidor(self.info.host, self.info.port)
        self.pid_servidor = self.get_backend_pid()
        self._socket = socket.socket(fileno=os.dup(self.fileno()))

    def cursor(  # type: ignore[override]  # las llamadas de psycopg2, sin sus 3 sobrecargas
        self,
        name: str | None = None,
        cursor_factory: Any = None,
        withhold: bool = False,
        scrollable: bool | None = None,
    ) -> extensions.cursor:
        """Un cursor cuyas esperas al servidor vigila el vigía (con nombre o sin él)."""
        if cursor_factory is None:
            cursor_factory = _VIGILADO if name is None else _CON_NOMBRE_VIGILADO
        cursor: extensions.cursor = _CURSOR(self, name, cursor_factory, withhold, scrollable)
        return cursor

    def commit(self) -> None:
        vigia.vigilar(self, _COMMIT, self)

    def rollback(self) -> None:
        vigia.vigilar(self, _ROLLBACK, self)

    def set_session(self, *args: Any, **kwargs: Any) -> None:
        # En autocommit, set_session va al servidor (SET default_transaction_...).
        vigia.vigilar(self, lambda: _SET_SESSION(self, *args, **kwargs))

    def confirmar(self, solo_lectura: bool = False) -> None:
        """COMMIT. Si la conexión se pierde con el COMMIT ya enviado, el servidor pudo
        guardarlo o no: `ResultadoDesconocidoError` (decir «no se hizo» invitaría a
        repetirlo). Con `solo_lectura` no había nada que guardar, y lo leído vale igual."""
        # Un fallo seguro (el servidor rechazó el COMMIT, o la conexión ya estaba cerrada o
        # abandonada y el COMMIT ni se envió) sigue tal cual. `self.commit()` es el de
        # arriba: espera al servidor bajo el vigía, que lanza ConexionError si corta la
        # espera; OperationalError e InterfaceError son los de psycopg2 si se pierde.
        ya_perdida = self.closed or self.abandonada
        try:
            self.commit()
        except (ConexionError, psycopg2.OperationalError, psycopg2.InterfaceError) as error:
            if ya_perdida or not es_conexion_perdida(error):
                raise
            if solo_lectura:
                log.debug("Se perdió la conexión al terminar una lectura", exc_info=True)
                return
            motivo = str(error).strip().splitlines()[0] if str(error).strip() else ""
            desconocido = ResultadoDesconocidoError(f"{RESULTADO_DESCONOCIDO} (Motivo: {motivo})")
            if self.senal_que_corto is not None:
                # Si lo cortó Ctrl-C (una señal), se lanza ya su KeyboardInterrupt
                # pendiente, con este error como causa: dice qué quedó dudoso.
                interrupciones.entregar_pendiente(causa=desconocido)
            raise desconocido from error

    def deshacer(self) -> None:
        """ROLLBACK, sin tapar la excepción que lo motivó: si falla, se anota en el log y
        la conexión, rota, se descarta al devolverla."""
        # Si el vigía cortó una espera, no hay nada que deshacer: el servidor descarta la
        # transacción al perder la conexión.
        if self.closed or self.abandonada:
            return
        try:
            self.rollback()
        except Exception:
            log.info("Falló el rollback; la conexión se descartará", exc_info=True)

    def close(self) -> None:
        super().close()
        self._socket.close()

    def __del__(self) -> None:
        # Una conexión que nadie cerró (p. ej. las del padre, olvidadas en el hijo de un
        # fork): su duplicado del socket se cierra con ella, sin cortar nada.
        duplicado = self.__dict__.get("_socket")
        if duplicado is not None:
            duplicado.close()

    def abandonar(self, senal: int | None) -> None:
        """La llama el vigía: corta la espera en curso (plazo vencido, o la señal `senal`) y
        pide al servidor que cancele la orden."""
        self.abandonada = True
        self.senal_que_corto = senal
        # La cancelación se pide antes de cortar: quien esperaba sigue esperando hasta el
        # corte, y si cierra el pool enseguida (Ctrl-C y salir), cerrar() ya la ve y le da
        # tiempo a salir.
        if self.pool is not None:
            self.pool.cancelar_en_el_servidor(self.pid_servidor)
        vigia.cortar_socket(self._socket)

    def error_de_abandono(self, plazo: float) -> ErrorAccesoDatos:
        """El error que recibe quien esperaba cuando el vigía cortó su espera."""
        if self.senal_que_corto is not None:  # si su manejador no lanzó ninguna excepción
            return ConexionError(
                f"Se interrumpió la espera a PostgreSQL en {self.destino}; se abandonó la conexión."
            )
        return ServidorNoRespondeError(
            f"PostgreSQL en {self.destino} no contestó en {segundos(plazo, None)}; se abandonó la "
            "conexión. Compruebe la red y que el servidor sigue en marcha; si la consulta es "
            "lenta de verdad, aumente DB_QUERY_TIMEOUT."
        )

    def error_de_abandonada(self) -> ErrorAccesoDatos:
        """El error de lo que se intenta con la conexión después de abandonarla: no se envía."""
        return ConexionError(
            f"La conexión con PostgreSQL en {self.destino} se abandonó en una espera anterior "
            "(venció DB_QUERY_TIMEOUT o se interrumpió): esta orden no se envió y nada de esa "
            "transacción se guardó."
        )


# Los métodos de psycopg2 que envuelven los de arriba, leídos una vez: es el camino caliente.
_CURSOR = extensions.connection.cursor
_VIGILADO = vigia.CursorVigilado
_CON_NOMBRE_VIGILADO = vigia.CursorConNombreVigilado
_COMMIT = extensions.connection.commit
_ROLLBACK = extensions.connection.rollback
_SET_SESSION = extensions.connection.set_session
