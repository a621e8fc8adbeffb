"""Un proxy TCP pequeño, en el proceso de los tests, entre el programa y PostgreSQL.

Sirve para reproducir lo que el servidor real no hace a voluntad:
- `congelar()`: deja de reenviar en los dos sentidos, con los sockets abiertos. Es lo que
  ve el programa cuando se cae la Wi-Fi, un NAT olvida la conexión o la máquina del
  servidor se congela: nadie cierra nada, simplemente no llega respuesta.
- `cortar_tras_commit()`: reenvía el próximo COMMIT al servidor y cierra en el acto los
  dos sockets, antes de que vuelva la respuesta: el servidor confirma y el programa
  pierde la conexión sin saberlo.
- `congelar_tras_commit()`: reenvía el próximo COMMIT y se congela: la respuesta no llega.

Lee el protocolo de PostgreSQL lo justo para reconocer los mensajes del cliente. A una
petición de cifrado (SSL o GSS) contesta él mismo «N»: así lo que pasa es legible.
"""

import select
import socket
import struct
import threading

PETICIONES_DE_CIFRADO = (80877103, 80877104)  # SSLRequest y GSSENCRequest
ESPERA_CIERRE = 5.0  # segundos para que los hilos del proxy terminen al cerrarlo
PASO = 0.02  # cada cuánto miran los hilos si cambió el estado del proxy


class ProxyTCP:
    """Escucha en 127.0.0.1:`puerto` y reenvía cada conexión al servidor de destino."""

    def __init__(self, host: str, puerto: int):
        # Un host que empieza por / es el directorio del socket Unix del servidor.
        if host.startswith("/"):
            self._destino = (socket.AF_UNIX, f"{host}/.s.PGSQL.{puerto}")
        else:
            self._destino = (socket.AF_INET, (host, puerto))
        self._escucha = socket.create_server(("127.0.0.1", 0))
        self.puerto = self._escucha.getsockname()[1]
        self._en_marcha = threading.Event()
        self._en_marcha.set()
        self._parar = threading.Event()
        self._tras_commit: str | None = None  # None, "cortar" o "congelar"
        self._candado = threading.Lock()
        # Se activa cuando llegan datos del cliente estando congelado: el programa está
        # esperando una respuesta que no va a llegar.
        self.retenido = threading.Event()
        self.commit_reenviado = threading.Event()
        self.consultas: list[str] = []  # el texto de cada consulta simple reenviada, en orden
        self._hilos: list[threading.Thread] = []
        self._arrancar(self._aceptar)

    def __enter__(self) -> "ProxyTCP":
        return self

    def __exit__(self, *excepcion) -> None:
        self.cerrar()

    def congelar(self) -> None:
        self.retenido.clear()
        self._en_marcha.clear()

    def descongelar(self) -> None:
        self._en_marcha.set()

    def cortar_tras_commit(self) -> None:
        self._tras_commit = "cortar"

    def congelar_tras_commit(self) -> None:
        self.retenido.clear()
        self._tras_commit = "congelar"

    def cerrar(self) -> None:
        """Cierra todas las conexiones: lo que esperase a través del proxy recibe un error."""
        self._parar.set()
        self._en_marcha.set()
        self._escucha.close()
        for hilo in self._hilos:
            hilo.join(ESPERA_CIERRE)

    # --- por dentro ------------------------------------------------------------------

    def _arrancar(self, funcion, *argumentos) -> None:
        hilo = threading.Thread(target=funcion, args=argumentos, daemon=True)
        with self._candado:
            self._hilos.append(hilo)
        hilo.start()

    def _aceptar(self) -> None:
        self._escucha.settimeout(PASO)
        while not self._parar.is_set():
            try:
                cliente, _ = self._escucha.accept()
            except TimeoutError:
                continue
            except OSError:  # se cerró la escucha
                return
            self._arrancar(self._reenviar, cliente)

    def _reenviar(self, cliente: socket.socket) -> None:
        familia, direccion = self._destino
        servidor = socket.socket(familia, socket.SOCK_STREAM)
        try:
            servidor.connect(direccion)
            _Tramo(self, cliente, servidor).recorrer()
        except OSError:
            pass
        finally:
            cliente.close()
            servidor.close()


class _Tramo:
    """Una conexión a través del proxy: el cliente, el servidor y lo que hay entre ellos."""

    def __init__(self, proxy: ProxyTCP, cliente: socket.socket, servidor: socket.socket):
        self.proxy = proxy
        self.cliente = cliente
        self.servidor = servidor
        self.del_cliente = bytearray()  # recibido del cliente y aún sin reenviar
        self.del_servidor = bytearray()
        self.arrancado = False  # ya pasó el mensaje de arranque (StartupMessage)

    def recorrer(self) -> None:
        proxy = self.proxy
        while not proxy._parar.is_set():
            en_marcha = proxy._en_marcha.is_set()
            # Congelado, lo del servidor se queda en su socket; lo del cliente se lee (para
            # saber que espera respuesta) y se guarda sin reenviar.
            vigilados = [self.cliente, self.servidor] if en_marcha else [self.cliente]
            for origen in select.select(vigilados, [], [], PASO)[0]:
                datos = origen.recv(65536)
                if not datos:
                    return  # uno de los dos cerró: se cierra el otro
                destino = self.del_cliente if origen is self.cliente else self.del_servidor
                destino += datos
            if not proxy._en_marcha.is_set():
                if self.del_cliente:
                    proxy.retenido.set()
                continue
            if self.del_servidor:
                self.cliente.sendall(self.del_servidor)
                self.del_servidor.clear()
            if not self._pasar_mensajes_del_cliente():
                return

    def _pasar_mensajes_del_cliente(self) -> bool:
        """Reenvía los mensajes completos del cliente; False si hay que cortar la conexión."""
        proxy = self.proxy
        while True:
            mensaje = self._siguiente_mensaje()
            if mensaje is None:
                return True
            if mensaje == b"cifrado":
                self.cliente.sendall(b"N")  # «sin cifrado»: el cliente sigue en claro
                continue
            self.servidor.sendall(mensaje)
            if mensaje[:1] != b"Q":
                continue
            consulta = mensaje[5:].rstrip(b"\0").decode(errors="replace")
            proxy.consultas.append(consulta)
            if consulta.strip().upper() == "COMMIT" and proxy._tras_commit:
                accion, proxy._tras_commit = proxy._tras_commit, None
                proxy.commit_reenviado.set()
                if accion == "cortar":
                    return False
                proxy.congelar()
                return True

    def _siguiente_mensaje(self) -> bytes | None:
        """Saca del búfer el siguiente mensaje completo del cliente (o None si falta)."""
        datos = self.del_cliente
        if not self.arrancado:
            # Los mensajes de arranque no llevan tipo: longitud (4 bytes) y código (4).
            if len(datos) < 8:
                return None
            longitud, codigo = struct.unpack("!ii", datos[:8])
            if len(datos) < longitud:
                return None
            mensaje = bytes(datos[:longitud])
            del datos[:longitud]
            if codigo in PETICIONES_DE_CIFRADO:
                return b"cifrado"
            self.arrancado = True
            return mensaje
        if len(datos) < 5:
            return None
        longitud = struct.unpack("!i", datos[1:5])[0] + 1  # la longitud no cuenta el tipo
        if len(datos) < longitud:
            return None
        mensaje = bytes(datos[:longitud])
        del datos[:longitud]
        return mensaje
