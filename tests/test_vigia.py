"""El vigía (acceso_datos/vigia.py): corta solo lo que pasa del plazo, vigila también los
cursores del servidor, respeta un wakeup fd ajeno y no deja hilos ni tuberías al cerrar."""

import io
import logging
import os
import signal
import threading
import time

import psycopg2

from acceso_datos import vigia
from acceso_datos.conexion import Conexion
from acceso_datos.cursor_del_pool import CursorDelPool
from acceso_datos.errores import ServidorNoRespondeError
from acceso_datos.usuario import Usuario
from acceso_datos.usuario_dao import UsuarioDAO

COTA_CUELGUE = 15.0  # segundos: lo que no llega en este tiempo está colgado
MARGEN = 2.0  # segundos sobre el plazo: el reparto de la CPU, no un cuelgue
PLAZO = 0.5  # DB_QUERY_TIMEOUT de los tests que lo agotan


def _configurar(monkeypatch, **variables: str) -> None:
    for nombre, valor in variables.items():
        monkeypatch.setenv(nombre, valor)
    Conexion.cerrar_conexiones()


def _esperar_a_que(condicion, que: str) -> None:
    limite = time.monotonic() + COTA_CUELGUE
    while not condicion():
        assert time.monotonic() < limite, f"no se cumplió en {COTA_CUELGUE} s: {que}"
        time.sleep(0.01)


def _wakeup_fd_actual() -> int:
    actual = signal.set_wakeup_fd(-1)
    signal.set_wakeup_fd(actual)
    return actual


def _descriptores_abiertos() -> set[str]:
    return set(os.listdir("/proc/self/fd"))


def _en_un_hilo_con_cota(funcion, resultado: list, que: str) -> list:
    """Ejecuta `funcion` en otro hilo; si no acaba en COTA_CUELGUE, `que` no tiene límite."""
    hilo = threading.Thread(target=funcion, daemon=True)
    hilo.start()
    hilo.join(COTA_CUELGUE)
    assert not hilo.is_alive(), f"{que} no tiene límite"
    return resultado


def _comprobar_que_se_corto_a_tiempo(cortada: tuple, proxy) -> None:
    """(error, segundos) de una espera congelada: ServidorNoRespondeError a su plazo, y la
    conexión no quedó prestada."""
    error, segundos = cortada
    assert isinstance(error, ServidorNoRespondeError), error
    assert segundos < PLAZO + MARGEN
    proxy.descongelar()
    assert Conexion.estadisticas()["en_uso"] == 0


def test_una_consulta_sana_mas_corta_que_el_plazo_no_se_corta(base_limpia, monkeypatch):
    _configurar(monkeypatch, DB_QUERY_TIMEOUT="3")

    with CursorDelPool() as cursor:
        # Varios repasos del vigía (cada 0,1 s) durante la consulta, sin llegar al plazo.
        cursor.execute("SELECT pg_sleep(1), pg_backend_pid()")
        pid = cursor.fetchone()[1]
    with CursorDelPool() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] == pid  # la misma conexión: no se abandonó
    assert Conexion.estadisticas()["en_uso"] == 0


def test_el_plazo_vale_tambien_para_las_filas_de_un_cursor_del_servidor(proxy, monkeypatch):
    _configurar(monkeypatch, DB_QUERY_TIMEOUT=str(PLAZO))
    for numero in range(3):
        UsuarioDAO.insertar(Usuario(username=f"u{numero}", password="Clave-De-Prueba-1"))
    resultado: list = []

    def recorrer() -> None:
        filas = UsuarioDAO.iterar(tamano_lote=1)
        resultado.append(next(filas).username)  # el primer lote llegó
        proxy.congelar()
        inicio = time.monotonic()
        try:
            next(filas)  # FETCH al servidor: no contesta
        except Exception as error:
            resultado.append((error, time.monotonic() - inicio))

    primero, cortada = _en_un_hilo_con_cota(recorrer, resultado, "el FETCH del cursor del servidor")
    assert primero == "u0"
    _comprobar_que_se_corto_a_tiempo(cortada, proxy)


def test_las_conexiones_ajenas_al_pool_no_cambian(base_limpia):
    Conexion.obtener_pool()  # con el vigía en marcha
    assert vigia.en_marcha()
    ajena = psycopg2.connect(**base_limpia.parametros_conexion())
    try:
        with ajena.cursor() as cursor:
            assert type(cursor) is psycopg2.extensions.cursor
            cursor.execute("SELECT 1")
        assert psycopg2.extensions.get_wait_callback() is None
        assert psycopg2.extensions.encodings["UTF8"] != "acceso_datos_utf8"
    finally:
        ajena.close()


def test_al_cerrar_el_ultimo_pool_no_quedan_ni_vigia_ni_tuberia(base_limpia):
    Conexion.cerrar_conexiones()
    _esperar_a_que(lambda: not vigia.en_marcha(), "el vigía anterior terminó")
    antes = _descriptores_abiertos()
    wakeup_antes = _wakeup_fd_actual()

    assert UsuarioDAO.contar() == 0
    assert vigia.en_marcha()
    assert _wakeup_fd_actual() != wakeup_antes  # Ctrl-C escribe en la tubería del vigía
    Conexion.cerrar_conexiones()

    _esperar_a_que(lambda: not vigia.en_marcha(), "el vigía terminó")
    assert _wakeup_fd_actual() == wakeup_antes
    assert _descriptores_abiertos() == antes
    assert not any(h.name == "acceso_datos-vigia" for h in threading.enumerate())


def test_un_wakeup_fd_ajeno_se_respeta_y_se_avisa(base_limpia, caplog):
    Conexion.cerrar_conexiones()
    _esperar_a_que(lambda: not vigia.en_marcha(), "el vigía anterior terminó")
    lectura, escritura = os.pipe()
    os.set_blocking(escritura, False)
    anterior = signal.set_wakeup_fd(escritura)  # como haría el bucle de asyncio
    try:
        with caplog.at_level(logging.WARNING, logger="acceso_datos"):
            assert UsuarioDAO.contar() == 0
        assert _wakeup_fd_actual() == escritura  # sigue siendo el suyo
        assert "set_wakeup_fd" in caplog.text
        Conexion.cerrar_conexiones()
        assert _wakeup_fd_actual() == escritura  # cerrar tampoco se lo quita
    finally:
        signal.set_wakeup_fd(anterior)
        os.close(lectura)
        os.close(escritura)


# --- cada método vigilado hace lo mismo que el de psycopg2 ------------------------------


def test_callproc_executemany_y_copy_por_el_pool_hacen_lo_de_psycopg2(base_limpia):
    with CursorDelPool() as cursor:
        assert isinstance(cursor, vigia.CursorVigilado)
        cursor.callproc("upper", ["ana"])
        assert cursor.fetchone() == ("ANA",)
        cursor.executemany(
            "INSERT INTO persona (nombre, apellido, email) VALUES (%s, %s, %s)",
            [("Ana", "Pérez", "ana@ejemplo.com"), ("Luis", "Gil", "luis@ejemplo.com")],
        )
        cursor.copy_from(
            io.StringIO("Bea\tRuiz\tbea@ejemplo.com\n"),
            "persona",
            columns=("nombre", "apellido", "email"),
        )
        copiado = io.StringIO()
        cursor.copy_to(copiado, "persona", columns=("nombre",))
        assert sorted(copiado.getvalue().split()) == ["Ana", "Bea", "Luis"]
        expertos = io.StringIO()
        cursor.copy_expert("COPY (SELECT email FROM persona ORDER BY 1) TO STDOUT", expertos)
        assert expertos.getvalue().split() == sorted(
            ["ana@ejemplo.com", "bea@ejemplo.com", "luis@ejemplo.com"]
        )


def test_un_cursor_del_servidor_lee_y_se_mueve_como_el_de_psycopg2(base_limpia):
    with CursorDelPool() as cursor:
        con_nombre = cursor.connection.cursor(name="numeros", scrollable=True)
        assert isinstance(con_nombre, vigia.CursorConNombreVigilado)
        con_nombre.execute("SELECT generate_series(1, 10)")
        assert con_nombre.fetchone() == (1,)
        assert con_nombre.fetchmany(2) == [(2,), (3,)]
        assert con_nombre.fetchmany() == [(4,)]  # arraysize: 1
        con_nombre.scroll(2)
        assert next(iter(con_nombre)) == (7,)
        con_nombre.scroll(0, mode="absolute")
        assert con_nombre.fetchall() == [(numero,) for numero in range(1, 11)]
        con_nombre.close()
        assert con_nombre.closed


def test_recorrer_un_cursor_del_servidor_vigila_una_vez_por_lote_y_no_por_fila(base_limpia):
    # Cada llamada vigilada toma un turno; así se cuentan sin tocar psycopg2.
    with CursorDelPool() as cursor:
        con_nombre = cursor.connection.cursor(name="lotes")
        con_nombre.itersize = 4
        con_nombre.execute("SELECT generate_series(1, 10)")
        antes = next(vigia._turnos)
        filas = list(con_nombre)
        llamadas = next(vigia._turnos) - antes - 1
    assert filas == [(numero,) for numero in range(1, 11)]
    assert llamadas == 4  # lotes de 4, 4 y 2, y el vacío que dice que no quedan


def test_copy_tambien_tiene_el_plazo(proxy, monkeypatch):
    _configurar(monkeypatch, DB_QUERY_TIMEOUT=str(PLAZO))
    resultado: list = []

    def copiar() -> None:
        try:
            with CursorDelPool() as cursor:
                proxy.congelar()
                inicio = time.monotonic()
                cursor.copy_expert("COPY (SELECT 1) TO STDOUT", io.StringIO())
        except Exception as error:
            resultado.append((error, time.monotonic() - inicio))

    (cortada,) = _en_un_hilo_con_cota(copiar, resultado, "el COPY")
    _comprobar_que_se_corto_a_tiempo(cortada, proxy)
