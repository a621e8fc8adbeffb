"""`dao_base`: la transacción de los DAO, la traducción de los errores de psycopg2 por su
SQLSTATE y el SAVEPOINT al unirse a la transacción de quien llama.

Cada test usa una tabla temporal con sus restricciones, creada dentro de la transacción:
así se prueba la pieza compartida sin depender de ningún DAO.
"""

import psycopg2
import pytest
from ayudas import en_uso

from acceso_datos.cursor_del_pool import CursorDelPool
from acceso_datos.dao_base import consultar, recorrer, traducir_error, transaccion, validar_pagina
from acceso_datos.errores import (
    ConexionError,
    DatosInvalidosError,
    ErrorAccesoDatos,
    RegistroDuplicadoError,
)
from acceso_datos.persona import Persona
from acceso_datos.persona_dao import PersonaDAO

pytestmark = pytest.mark.usefixtures("base_limpia")

SECRETO = "hash-secreto-9f2c"  # va en otra columna de la fila: ningún mensaje debe mostrarlo

_TABLA_TEMPORAL = """
    CREATE TEMP TABLE articulo (
        id_articulo SERIAL PRIMARY KEY,
        codigo      VARCHAR(5) NOT NULL UNIQUE,
        precio      NUMERIC(4, 2) NOT NULL CHECK (precio >= 0),
        secreto     TEXT NOT NULL DEFAULT ''
    ) ON COMMIT DROP
"""
_INSERTAR = "INSERT INTO articulo (codigo, precio, secreto) VALUES (%s, %s, %s)"

# (sentencia que falla, excepción propia, texto que debe tener el mensaje)
ERRORES_DE_DATOS = [
    pytest.param(
        (_INSERTAR, ("abc", -1, SECRETO)),
        DatosInvalidosError,
        "no cumplen la regla articulo_precio_check de la tabla articulo",
        id="23514_check",
    ),
    pytest.param(
        (_INSERTAR, ("demasiado", 1, SECRETO)),
        DatosInvalidosError,
        "Un texto no cabe en su columna (value too long for type character varying(5))",
        id="22001_texto_largo",
    ),
    pytest.param(
        (_INSERTAR, ("abc", 100, SECRETO)),
        DatosInvalidosError,
        "Un número no cabe en su columna (numeric field overflow)",
        id="22003_numero_fuera_de_rango",
    ),
    pytest.param(
        ("INSERT INTO articulo (precio, secreto) VALUES (1, %s)", (SECRETO,)),
        DatosInvalidosError,
        "El campo codigo es obligatorio.",
        id="23502_nulo",
    ),
    pytest.param(
        ("SELECT %s::integer", ("doce",)),
        DatosInvalidosError,
        "La base de datos rechazó un dato (invalid input syntax for type integer",
        id="22P02_otro_de_la_clase_22",
    ),
    pytest.param(
        (_INSERTAR, ("abc", 1, SECRETO)),
        RegistroDuplicadoError,
        "Ya existe un registro con codigo 'abc'. Elija otro codigo.",
        id="23505_duplicado",
    ),
]


def _preparar(cursor) -> None:
    cursor.execute(_TABLA_TEMPORAL)
    cursor.execute(_INSERTAR, ("abc", 1, SECRETO))


def _codigos(cursor) -> list[str]:
    cursor.execute("SELECT codigo FROM articulo ORDER BY id_articulo")
    return [codigo for (codigo,) in cursor.fetchall()]


# --- traducción de errores ---------------------------------------------------------------


@pytest.mark.parametrize(("sentencia", "esperada", "texto"), ERRORES_DE_DATOS)
def test_cada_error_de_datos_se_traduce_por_su_codigo(sentencia, esperada, texto):
    with pytest.raises(ErrorAccesoDatos) as error, transaccion() as cursor:
        _preparar(cursor)
        cursor.execute(*sentencia)

    assert type(error.value) is esperada
    assert texto in str(error.value)
    assert isinstance(error.value.__cause__, psycopg2.Error)  # el original queda encadenado
    assert SECRETO not in str(error.value)
    assert en_uso() == 0


def test_el_duplicado_nombra_el_campo_y_el_valor_del_diagnostico_y_la_entidad_dada():
    valor = "x)=(y"  # lo que va entre paréntesis en el detalle tampoco confunde

    with pytest.raises(RegistroDuplicadoError) as error, transaccion(entidad="un artículo") as cur:
        _preparar(cur)
        cur.execute(_INSERTAR, (valor, 1, SECRETO))
        cur.execute(_INSERTAR, (valor, 2, SECRETO))

    assert (error.value.campo, error.value.valor) == ("codigo", valor)
    assert str(error.value) == f"Ya existe un artículo con codigo '{valor}'. Elija otro codigo."


def test_un_error_de_programacion_no_se_traduce():
    with pytest.raises(psycopg2.errors.UndefinedColumn), transaccion() as cursor:
        _preparar(cursor)
        cursor.execute("SELECT no_existe FROM articulo")


@pytest.mark.parametrize(
    "leer",
    [
        pytest.param(lambda consulta: consultar(consulta), id="consultar"),
        pytest.param(lambda consulta: list(recorrer(consulta, 10)), id="recorrer"),
    ],
)
def test_las_lecturas_traducen_lo_mismo_y_dejan_pasar_un_error_de_programacion(leer):
    with pytest.raises(psycopg2.errors.UndefinedColumn):
        leer("SELECT no_existe FROM persona")
    with pytest.raises(DatosInvalidosError, match="La base de datos rechazó un dato"):
        leer("SELECT 1 / 0")

    assert en_uso() == 0

    assert en_uso() == 0


def test_una_excepcion_propia_de_abajo_pasa_intacta():
    original = ConexionError("algo que ya explicó la capa de abajo")

    with pytest.raises(ConexionError) as error, transaccion():
        raise original

    assert error.value is original


@pytest.mark.parametrize(
    "error",
    [
        psycopg2.OperationalError("server closed the connection unexpectedly"),
        psycopg2.InterfaceError("connection already closed"),
    ],
)
def test_un_error_de_conexion_sin_codigo_es_conexion_perdida(error):
    traducido = traducir_error(error)

    assert isinstance(traducido, ConexionError)
    assert "Se perdió la conexión con PostgreSQL" in str(traducido)


def test_sin_cursor_abre_su_transaccion_confirma_si_va_bien_y_deshace_si_falla():
    with transaccion() as cursor:
        cursor.execute("CREATE TABLE nota (texto TEXT)")
    try:
        with pytest.raises(RuntimeError), transaccion() as cursor:
            cursor.execute("INSERT INTO nota VALUES ('se deshace')")
            raise RuntimeError("fallo")
        with transaccion() as cursor:
            cursor.execute("SELECT count(*) FROM nota")
            assert cursor.fetchone() == (0,)
    finally:
        with transaccion() as cursor:
            cursor.execute("DROP TABLE nota")


# --- SAVEPOINT al unirse a una transacción de fuera ------------------------------------------


@pytest.mark.parametrize(("sentencia", "esperada", "texto"), ERRORES_DE_DATOS)
def test_un_error_capturado_deja_usable_la_transaccion_de_fuera(sentencia, esperada, texto):
    with CursorDelPool() as cursor:
        _preparar(cursor)
        with pytest.raises(esperada), transaccion(cursor) as unida:
            unida.execute(_INSERTAR, ("de_la", 1, ""))  # lo de la llamada que falla...
            unida.execute(*sentencia)
        cursor.execute(_INSERTAR, ("sigue", 2, ""))  # sin SAVEPOINT: InFailedSqlTransaction

        assert _codigos(cursor) == ["abc", "sigue"]  # ...se deshace; lo de fuera, no


def test_con_cursor_no_confirma_nada_por_su_cuenta():
    with pytest.raises(RuntimeError), CursorDelPool() as cursor:
        _preparar(cursor)
        with transaccion(cursor) as unida:
            unida.execute(_INSERTAR, ("otro", 1, ""))
        cursor.execute("CREATE TABLE se_deshace (n int)")
        raise RuntimeError("la transacción de fuera falla después")

    with CursorDelPool() as cursor:
        cursor.execute("SELECT to_regclass('se_deshace')")
        assert cursor.fetchone() == (None,)


def test_un_error_capturado_a_mitad_de_iterar_con_cursor_no_corta_el_recorrido():
    # iterar() mantiene su SAVEPOINT abierto mientras se recorre; cada actualizar() abre y
    # cierra el suyo dentro. Deshacer uno no debe cerrar el cursor del servidor del otro.
    for numero in range(4):
        PersonaDAO.insertar(Persona(None, "Ana", f"P{numero}", f"ana{numero}@ejemplo.com"))

    vistas, duplicadas = [], 0
    with CursorDelPool() as cursor:
        for persona in PersonaDAO.iterar(tamano_lote=1, cursor=cursor):
            vistas.append(persona.id_persona)
            persona.email = "ana0@ejemplo.com"  # el de la primera: duplicado salvo en ella
            try:
                PersonaDAO.actualizar(persona, cursor=cursor)
            except RegistroDuplicadoError:
                duplicadas += 1

    assert vistas == [1, 2, 3, 4]
    assert duplicadas == 3
    assert [p.email for p in PersonaDAO.seleccionar()] == [
        f"ana{numero}@ejemplo.com" for numero in range(4)
    ]


# --- páginas ---------------------------------------------------------------------------


def test_validar_pagina_devuelve_limite_y_desplazamiento():
    assert validar_pagina(20, 0) == (20, 0)
    assert validar_pagina(2**63 - 1, 2**63 - 1) == (2**63 - 1, 2**63 - 1)
