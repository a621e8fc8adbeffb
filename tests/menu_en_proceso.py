"""El menú (`python -m acceso_datos`) en otro proceso, paso a paso y con límite de tiempo."""

import os
import select
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from ayudas import RAIZ

ORDEN = [sys.executable, "-m", "acceso_datos"]
# El menú sin revisar las conexiones ociosas antes de prestarlas (VALIDAR_SI_INACTIVA
# infinito): así la primera orden tras parar el servidor va por la conexión que ya no sirve,
# tarde lo que tarde la parada, y no por una nueva que el pool habría abierto al revisarla.
ORDEN_SIN_REVISAR_OCIOSAS = [
    sys.executable,
    "-c",
    "import runpy; import acceso_datos.pool as p; p.VALIDAR_SI_INACTIVA = float('inf'); "
    "runpy.run_module('acceso_datos', run_name='__main__')",
]
PROMPT = "Opción: "
ESPERA = 60  # segundos: cota para detectar un cuelgue, no una medida de tiempo


def entorno_sin_base(**variables: str) -> dict[str, str]:
    """El entorno del test sin configuración de base de datos, más `variables`.

    Las variables vacías anulan las de un posible `.env` del proyecto (el entorno real gana).
    """
    entorno = {
        nombre: valor
        for nombre, valor in os.environ.items()
        if not nombre.startswith(("DB_", "LOG_")) and nombre != "DATABASE_URL"
    }
    entorno.update(DATABASE_URL="", DB_HOST="", DB_CONNECT_TIMEOUT="3")
    entorno.update(variables)
    return entorno


class Conversacion:
    """Lee lo que escribe el menú hasta un texto dado y le escribe líneas; todo con límite."""

    def __init__(self, lectura: int, escritura: int):
        self._lectura = lectura
        self._escritura = escritura
        self.recibido = bytearray()
        self._visto = 0

    def escribir(self, *lineas: str) -> None:
        os.write(self._escritura, "".join(f"{linea}\n" for linea in lineas).encode())

    def esperar(self, texto: str, timeout: float = ESPERA) -> str:
        """Lee hasta que llegue `texto`; devuelve lo recibido desde la espera anterior."""
        buscado = texto.encode()
        limite = time.monotonic() + timeout
        while (posicion := self.recibido.find(buscado, self._visto)) < 0:
            if not self._leer(limite):
                pytest.fail(f"el menú terminó sin escribir {texto!r}:\n{self.todo()}")
        fin = posicion + len(buscado)
        trozo = self.recibido[self._visto : fin].decode()
        self._visto = fin
        return trozo

    def resto(self, timeout: float = ESPERA) -> str:
        """Lee hasta que el menú cierre su salida; devuelve lo que faltaba por ver."""
        limite = time.monotonic() + timeout
        while self._leer(limite):
            pass
        trozo = self.recibido[self._visto :].decode()
        self._visto = len(self.recibido)
        return trozo

    def todo(self) -> str:
        return self.recibido.decode(errors="replace")

    def _leer(self, limite: float) -> bool:
        """Un bloque más de salida; False si se cerró (fin de archivo o EIO de la terminal)."""
        restante = limite - time.monotonic()
        listos, _, _ = select.select([self._lectura], [], [], max(restante, 0))
        if not listos:
            pytest.fail(f"el menú no respondió en {ESPERA} s; escribió:\n{self.todo()}")
        try:
            bloque = os.read(self._lectura, 4096)
        except OSError:  # Linux da EIO al leer una terminal cuyo otro extremo se cerró
            return False
        self.recibido += bloque
        return bool(bloque)


@contextmanager
def menu_interactivo(entorno, archivo_errores: Path, *argumentos: str, orden=ORDEN):
    """El menú (o `python -m acceso_datos` con `argumentos`) en marcha con tuberías.

    Al salir, se asegura de que el proceso terminó.
    """
    with open(archivo_errores, "wb") as errores:
        proceso = subprocess.Popen(
            [*orden, *argumentos], cwd=RAIZ, env=entorno, stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=errores,
        )  # fmt: skip
    try:
        yield proceso, Conversacion(proceso.stdout.fileno(), proceso.stdin.fileno())
    finally:
        if proceso.poll() is None:
            proceso.kill()
        proceso.wait(ESPERA)
        proceso.stdin.close()
        proceso.stdout.close()


def esperar_a_que_lea(pid: int) -> None:
    """Espera a que el proceso duerma esperando entrada (estado S en /proc).

    Una señal que llega entre escribir la pregunta y empezar a leer se queda sin atender
    hasta que llega otra entrada (CPython no la mira antes de la llamada read), así que el
    test no debe enviarla antes. No hay evento que lo avise: se sondea, con límite.
    """
    limite = time.monotonic() + ESPERA
    while time.monotonic() < limite:
        estado = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        if estado == "S":
            return
        time.sleep(0.01)
    pytest.fail(f"el proceso {pid} no se quedó esperando entrada en {ESPERA} s")
