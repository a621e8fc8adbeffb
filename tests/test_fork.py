"""Tras `os.fork()`, el hijo tiene su propio pool: nunca usa ni cierra las conexiones del
padre (que comparten los mismos sockets), y el padre sigue trabajando como si nada."""

import gc
import json
import os
import select
import signal
import threading

import pytest

from acceso_datos import vigia
from acceso_datos.conexion import Conexion

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="este sistema no tiene fork")
COTA = 15.0  # segundos: lo que no llega en este tiempo está colgado


def _pid(conexion) -> int:
    with conexion.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    conexion.commit()
    return pid


def _en_el_hijo(prestada) -> dict:
    """Lo que hace el hijo: usar el pool, devolver la heredada, recoger basura y cerrar."""
    conexion = Conexion.obtener_conexion()
    resultado = {"pid": _pid(conexion)}
    Conexion.liberar_conexion(conexion)
    try:
        _pid(prestada)  # la que el padre tenía prestada: en el hijo no debe funcionar
        resultado["heredada"] = "funcionó"
    except Exception as error:
        resultado["heredada"] = type(error).__name__
    Conexion.liberar_conexion(prestada)
    gc.collect()  # el pool heredado, sin referencias, no debe cerrar nada del padre
    Conexion.cerrar_conexiones()
    return resultado


def test_el_hijo_de_un_fork_usa_conexiones_propias_y_el_padre_sigue_igual(base_limpia):
    libre = Conexion.obtener_conexion()
    pid_libre = _pid(libre)
    prestada = Conexion.obtener_conexion()
    pid_prestada = _pid(prestada)
    Conexion.liberar_conexion(libre)

    lectura, escritura = os.pipe()
    hijo = os.fork()
    if hijo == 0:  # el hijo: nada de pytest aquí; sale con os._exit pase lo que pase
        try:
            respuesta = _en_el_hijo(prestada)
        except BaseException as error:
            respuesta = {"error": repr(error)}
        os.write(escritura, json.dumps(respuesta).encode())
        os._exit(0)
    os.close(escritura)
    with os.fdopen(lectura, "rb") as canal:
        respuesta = json.loads(canal.read() or b"{}")
    _, estado = os.waitpid(hijo, 0)

    assert os.waitstatus_to_exitcode(estado) == 0
    assert "error" not in respuesta, respuesta["error"]
    assert respuesta["pid"] not in (pid_libre, pid_prestada)  # una conexión suya, nueva
    assert respuesta["heredada"] != "funcionó"
    # El padre conserva sus dos conexiones, vivas y en los mismos procesos del servidor.
    assert _pid(prestada) == pid_prestada
    Conexion.liberar_conexion(prestada)
    dos = [Conexion.obtener_conexion(), Conexion.obtener_conexion()]
    try:
        assert {_pid(conexion) for conexion in dos} == {pid_libre, pid_prestada}
    finally:
        for conexion in dos:
            Conexion.liberar_conexion(conexion)
    assert Conexion.estadisticas()["en_uso"] == 0


@pytest.fixture
def candado_de_descodificar_tomado():
    """La avería: otro hilo está abriendo una conexión del pool y tiene el candado con el
    que se cambia la función de descodificar (ver vigia.descodificando_en_c), hasta el final
    del test."""
    tomado, soltar = threading.Event(), threading.Event()

    def tenerlo() -> None:
        with vigia._candado_codec:
            tomado.set()
            soltar.wait(COTA)

    hilo = threading.Thread(target=tenerlo, daemon=True)
    hilo.start()
    assert tomado.wait(COTA)
    yield
    soltar.set()
    hilo.join(COTA)


def test_un_hijo_creado_mientras_otro_hilo_abre_una_conexion_no_se_cuelga(
    base_limpia, candado_de_descodificar_tomado
):
    Conexion.cerrar_conexiones()
    lectura, escritura = os.pipe()
    hijo = os.fork()
    if hijo == 0:  # el hijo: nada de pytest aquí; sale con os._exit pase lo que pase
        try:
            conexion = Conexion.obtener_conexion()
            respuesta = {"pid": _pid(conexion)}
            Conexion.liberar_conexion(conexion)
            Conexion.cerrar_conexiones()
        except BaseException as error:
            respuesta = {"error": repr(error)}
        os.write(escritura, json.dumps(respuesta).encode())
        os._exit(0)
    os.close(escritura)
    try:
        listos, _, _ = select.select([lectura], [], [], COTA)
        if not listos:
            os.kill(hijo, signal.SIGKILL)
        with os.fdopen(lectura, "rb") as canal:
            respuesta = json.loads(canal.read() or b"{}")
    finally:
        os.waitpid(hijo, 0)

    assert listos, f"el hijo no conectó en {COTA} s: se colgó"
    assert "pid" in respuesta, respuesta
