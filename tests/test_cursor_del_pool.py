"""Tests de `CursorDelPool` contra un PostgreSQL real: confirma si el bloque va bien,
deshace si falla, no tapa nunca la excepción y siempre devuelve (o descarta) la conexión."""

import logging

import psycopg2
import pytest
from ayudas import pid_de, terminar_backend

from acceso_datos.conexion import Conexion
from acceso_datos.cursor_del_pool import CursorDelPool
from acceso_datos.errores import PoolAgotadoError, ResultadoDesconocidoError

INSERTAR = "INSERT INTO usuario (username, password) VALUES (%s, 'x')"


class ErrorDelBloque(Exception):
    """Excepción propia del test, para reconocer la instancia que se propaga."""


def _usuarios(observador) -> list[str]:
    with observador.cursor() as cursor:
        cursor.execute("SELECT username FROM usuario ORDER BY username")
        return [fila[0] for fila in cursor.fetchall()]


def _sin_prestadas_ni_libres() -> dict[str, int]:
    return {"minimo": 1, "maximo": 5, "en_uso": 0, "libres": 0, "esperando": 0}


def test_bloque_correcto_confirma_los_cambios(observador):
    with CursorDelPool() as cursor:
        cursor.execute(INSERTAR, ("ana",))
    assert _usuarios(observador) == ["ana"]  # visible desde otra sesión: hubo commit
    assert Conexion.estadisticas()["en_uso"] == 0


def test_excepcion_en_el_bloque_deshace_y_se_propaga_la_misma(observador):
    original = ErrorDelBloque("fallo del programa")
    with pytest.raises(ErrorDelBloque) as error, CursorDelPool() as cursor:
        cursor.execute(INSERTAR, ("ana",))
        pid = pid_de(cursor.connection)
        raise original
    assert error.value is original
    assert _usuarios(observador) == []
    assert Conexion.estadisticas()["en_uso"] == 0
    with CursorDelPool() as cursor:
        assert pid_de(cursor.connection) == pid  # la conexión volvió sana al pool


def test_interrupcion_del_teclado_tambien_deshace_y_se_propaga(observador):
    with pytest.raises(KeyboardInterrupt), CursorDelPool() as cursor:
        cursor.execute(INSERTAR, ("ana",))
        raise KeyboardInterrupt
    assert _usuarios(observador) == []
    assert Conexion.estadisticas()["en_uso"] == 0


def test_error_de_sql_en_el_bloque_se_propaga_y_devuelve_la_conexion(observador):
    with pytest.raises(psycopg2.errors.UniqueViolation), CursorDelPool() as cursor:
        cursor.execute(INSERTAR, ("ana",))
        cursor.execute(INSERTAR, ("ana",))
    assert _usuarios(observador) == []
    with CursorDelPool() as cursor:  # sin rollback, esta conexión seguiría abortada
        cursor.execute(INSERTAR, ("eva",))
    assert _usuarios(observador) == ["eva"]


def test_el_cursor_queda_cerrado_al_salir(base_limpia):
    with CursorDelPool() as cursor:
        cursor.execute("SELECT 1")
    assert cursor.closed


def test_fallo_del_commit_se_propaga_y_devuelve_la_conexion(observador):
    # Una restricción diferida solo se comprueba al confirmar: falla el commit, no el bloque.
    with pytest.raises(psycopg2.errors.UniqueViolation), CursorDelPool() as cursor:
        pid = pid_de(cursor.connection)
        cursor.execute(
            "CREATE TEMP TABLE diferida (n int UNIQUE DEFERRABLE INITIALLY DEFERRED) ON COMMIT DROP"
        )
        cursor.execute("INSERT INTO diferida VALUES (1), (1)")
        cursor.execute(INSERTAR, ("ana",))
    assert _usuarios(observador) == []
    assert Conexion.estadisticas()["en_uso"] == 0
    with CursorDelPool() as cursor:
        assert pid_de(cursor.connection) == pid  # devuelta y reutilizada, no descartada


def test_fallo_del_rollback_no_tapa_la_excepcion_y_descarta_la_conexion(observador, caplog):
    caplog.set_level(logging.DEBUG, logger="acceso_datos")
    original = ErrorDelBloque("fallo del programa")
    with pytest.raises(ErrorDelBloque) as error, CursorDelPool() as cursor:
        terminar_backend(observador, pid_de(cursor.connection))  # el rollback ya no podrá hacerse
        raise original
    assert error.value is original
    assert any("Falló el rollback" in r.getMessage() for r in caplog.records)
    assert Conexion.estadisticas() == _sin_prestadas_ni_libres()


def test_conexion_rota_dentro_del_bloque_se_descarta(observador, caplog):
    caplog.set_level(logging.DEBUG, logger="acceso_datos")
    capturada = None
    with pytest.raises(psycopg2.OperationalError) as error, CursorDelPool() as cursor:
        pid = pid_de(cursor.connection)
        terminar_backend(observador, pid)
        try:
            cursor.execute("SELECT 1")
        except psycopg2.OperationalError as fallo:
            capturada = fallo
            raise
    assert error.value is capturada
    assert Conexion.estadisticas() == _sin_prestadas_ni_libres()
    assert any(r.levelno == logging.INFO and "rota" in r.getMessage() for r in caplog.records)
    with CursorDelPool() as cursor:
        assert pid_de(cursor.connection) != pid


def test_conexion_rota_al_confirmar_da_resultado_desconocido_y_se_descarta(observador):
    # Desde el cliente no se distingue de perderla con el COMMIT ya en el servidor (ver
    # test_servidor_que_no_contesta.py): el error no puede decir «no se hizo».
    esperado = pytest.raises(ResultadoDesconocidoError, match="no se sabe")
    with esperado as error, CursorDelPool() as cursor:
        cursor.execute(INSERTAR, ("ana",))
        # El bloque acaba bien; lo que falla es el commit.
        terminar_backend(observador, pid_de(cursor.connection))
    assert isinstance(error.value.__cause__, psycopg2.OperationalError)
    assert _usuarios(observador) == []
    assert Conexion.estadisticas() == _sin_prestadas_ni_libres()


def test_timeout_del_cursor_se_pasa_al_pool(base_limpia, monkeypatch):
    monkeypatch.setenv("DB_POOL_MAX", "1")
    Conexion.cerrar_conexiones()
    with CursorDelPool():
        with pytest.raises(PoolAgotadoError, match="esperar 0,2 s"), CursorDelPool(timeout=0.2):
            pass
        assert Conexion.estadisticas()["en_uso"] == 1
    assert Conexion.estadisticas()["en_uso"] == 0
