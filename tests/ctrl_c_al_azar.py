"""Un programa que presta y devuelve conexiones sin parar hasta que le llega Ctrl-C (desde
otro proceso, en un momento al azar), y entonces mira, solo con la API pública, que el pool
quedó entero. Lo dirige test_ctrl_c_al_azar.py.

Por cada línea que recibe («solo» o «acompañado»): escribe «en marcha», repite el bucle
hasta KeyboardInterrupt y responde con una línea JSON: {"ok": true} o {"ok": false,
"fallo": "..."}. Solo, el bucle pasa casi todo su tiempo en el código del pool; acompañado,
otro hilo hace consultas a la vez, como en un programa de verdad.
"""

import faulthandler
import json
import signal
import sys
import threading

from psycopg2 import extensions

from acceso_datos.conexion import Conexion
from acceso_datos.cursor_del_pool import CursorDelPool
from acceso_datos.errores import ErrorAccesoDatos

ESPERA = 5.0  # segundos: pedir las conexiones del pool al comprobar (un hueco perdido no llega)


def bucle(con_consultas: bool) -> None:
    """Préstamos y devoluciones de todas las formas, hasta Ctrl-C."""
    while True:
        with CursorDelPool():
            pass
        conexion = Conexion.obtener_conexion()
        try:
            conexion.set_session(readonly=True)
        finally:
            Conexion.liberar_conexion(conexion)
        if con_consultas:
            with CursorDelPool() as cursor:
                cursor.execute("SELECT 1")


class Acompanante:
    """Un hilo que hace consultas mientras el principal está en su bucle, y se para
    (sin nada prestado) mientras se comprueba el pool."""

    def __init__(self) -> None:
        self.en_marcha = threading.Event()
        self.parado = threading.Event()
        self.errores: list[str] = []
        threading.Thread(target=self._trabajar, daemon=True).start()

    def _trabajar(self) -> None:
        while True:
            self.parado.set()
            self.en_marcha.wait()
            self.parado.clear()
            while self.en_marcha.is_set():
                try:
                    with CursorDelPool() as cursor:
                        cursor.execute("SELECT 1")
                except ErrorAccesoDatos as error:
                    self.errores.append(repr(error))

    def parar(self) -> None:
        self.en_marcha.clear()
        if not self.parado.wait(ESPERA):
            raise RuntimeError("el hilo acompañante no se paró")


def comprobar() -> str | None:
    """None si el pool está entero y limpio; si no, qué falla."""
    estadisticas = Conexion.estadisticas()
    if estadisticas["en_uso"] or estadisticas["esperando"]:
        return f"tras Ctrl-C, estadisticas() = {estadisticas}"
    conexiones = []
    try:
        for _ in range(estadisticas["maximo"]):
            conexiones.append(Conexion.obtener_conexion(timeout=ESPERA))
        for conexion in conexiones:
            sucia = {
                "transacción": conexion.get_transaction_status()
                != extensions.TRANSACTION_STATUS_IDLE,
                "autocommit": conexion.autocommit,
                "readonly": conexion.readonly is not None,
                "isolation_level": conexion.isolation_level is not None,
            }
            if any(sucia.values()):
                return f"una conexión prestada no está limpia: {sucia}"
            with conexion.cursor() as cursor:
                cursor.execute("SHOW transaction_read_only")
                if cursor.fetchone() != ("off",):
                    return "una conexión prestada sigue en solo lectura en el servidor"
            conexion.rollback()
    except ErrorAccesoDatos as error:
        return f"no se pudieron tomar las {estadisticas['maximo']} conexiones: {error}"
    finally:
        for conexion in conexiones:
            Conexion.liberar_conexion(conexion)
    return None


def main() -> None:
    # Si el test no recibe respuesta, pide con SIGUSR1 dónde está cada hilo (a stderr).
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    acompanante = Acompanante()
    for linea in sys.stdin:
        acompanado = linea.strip() == "acompañado"
        try:
            if acompanado:
                acompanante.en_marcha.set()
            print("en marcha", flush=True)  # Ctrl-C llega después de esta línea
            bucle(con_consultas=acompanado)
        except KeyboardInterrupt:
            pass
        acompanante.parar()
        try:
            fallo = comprobar()
        except BaseException as error:  # también un Ctrl-C que llega tarde: es un fallo
            fallo = f"al comprobar el pool: {error!r}"
        if acompanante.errores:
            fallo = f"el hilo acompañante falló: {acompanante.errores[:3]}"
            acompanante.errores.clear()
        if fallo is not None:
            Conexion.cerrar_conexiones()  # el siguiente ensayo empieza con un pool entero
        print(json.dumps({"ok": fallo is None, "fallo": fallo}), flush=True)


if __name__ == "__main__":
    main()
