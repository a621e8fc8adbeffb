"""Abrir una conexión del pool, con límite de tiempo y atento a Ctrl-C."""

import threading
from typing import Any

import psycopg2

from acceso_datos import interrupciones
from acceso_datos.conexion_del_pool import ConexionDelPool
from acceso_datos.configuracion import Configuracion
from acceso_datos.errores import ConexionError
from acceso_datos.fallos_de_conexion import describir_fallo_de_conexion
from acceso_datos.formato import segundos
from acceso_datos.logger_base import log

# Segundos de más sobre DB_CONNECT_TIMEOUT (por servidor) al esperar al hilo que conecta:
# lo que no es la red (crear el hilo, el candado de descodificar) no debe colgar a nadie.
MARGEN_AL_CONECTAR = 2.0


def plazo_de_conectar(configuracion: Configuracion) -> float:
    """Lo más que se espera a abrir una conexión: libpq prueba cada servidor de la lista
    con DB_CONNECT_TIMEOUT, más un margen."""
    return configuracion.connect_timeout * len(configuracion.servidores()) + MARGEN_AL_CONECTAR


def abrir_conexion(configuracion: Configuracion) -> ConexionDelPool:
    """Una conexión nueva; `ConexionError`, con el porqué en español, si no se puede."""
    parametros = configuracion.parametros_conexion()
    plazo = plazo_de_conectar(configuracion)
    try:
        if threading.current_thread() is threading.main_thread():
            return _conectar_en_otro_hilo(parametros, plazo)
        conexion: ConexionDelPool = psycopg2.connect(
            connection_factory=ConexionDelPool, **parametros
        )
        return conexion
    except psycopg2.OperationalError as error:
        # En pantalla, la causa en español; aquí, lo que dijo libpq, por si hace falta.
        log.info("libpq no pudo conectar: %s", configuracion.tapar_password(str(error).strip()))
        raise ConexionError(describir_fallo_de_conexion(configuracion, error)) from error
    except TimeoutError as error:
        raise ConexionError(
            f"No se pudo conectar a PostgreSQL en {configuracion.nombres_de_servidores()}: "
            f"la conexión no acabó de abrirse en {segundos(plazo)} (DB_CONNECT_TIMEOUT por "
            "servidor, más un margen). Compruebe que el servidor está en marcha y vuelva a "
            "intentarlo."
        ) from error


@interrupciones.espera
def _conectar_en_otro_hilo(parametros: dict[str, Any], plazo: float) -> ConexionDelPool:
    """Conecta desde un hilo auxiliar mientras el principal espera, atento a Ctrl-C.

    libpq conecta en C y reintenta tras cada señal: en el hilo principal, Ctrl-C no llegaría
    hasta DB_CONNECT_TIMEOUT. Esperar a otro hilo sí se interrumpe, y se espera como mucho
    `plazo` segundos (si no, TimeoutError). Si nadie recoge la conexión (Ctrl-C o el plazo),
    el hilo auxiliar la cierra al terminar de abrirla; el hueco del pool ya lo liberó quien
    la pidió.
    """
    candado = threading.Lock()
    lista = threading.Event()
    resultado: list[ConexionDelPool | BaseException] = []
    abandonada = False

    def conectar() -> None:
        try:
            obtenido: ConexionDelPool | BaseException = psycopg2.connect(
                connection_factory=ConexionDelPool, **parametros
            )
        except BaseException as error:
            obtenido = error
        with candado:
            sobra = abandonada
            resultado.append(obtenido)
        if sobra and isinstance(obtenido, ConexionDelPool):
            obtenido.close()
        lista.set()

    threading.Thread(target=conectar, name="acceso_datos-conectar", daemon=True).start()
    try:
        if not lista.wait(plazo):
            raise TimeoutError
    except BaseException:
        with candado:
            abandonada = True
            huerfana = resultado[0] if resultado else None
        if isinstance(huerfana, ConexionDelPool):
            huerfana.close()
        raise
    obtenido = resultado[0]
    if isinstance(obtenido, BaseException):
        raise obtenido
    return obtenido
