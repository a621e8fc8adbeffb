"""`crear_esquema()` y las migraciones: desde una base vacía, desde la que creaba el antiguo
esquema.sql y de la versión anterior a la última; repetirlo no cambia nada, una migración
que falla deja la base como estaba y dos arranques a la vez no se pisan.

Cada test usa una base recién creada (fixture `base_nueva`): así puede cambiar el esquema
sin estropear la base de los demás tests.
"""

import logging
import re
import shutil
import threading
from pathlib import Path

import psycopg2
import pytest
from ayudas import problemas_de_idioma

from acceso_datos.cursor_del_pool import CursorDelPool
from acceso_datos.errores import MigracionError
from acceso_datos.esquema import DIRECTORIO_MIGRACIONES, crear_esquema, leer_migraciones

# Lo que creaba crear_esquema() antes de las migraciones (esquema.sql, commit c95f316).
ESQUEMA_SQL_DE_ANTES = """
CREATE TABLE IF NOT EXISTS usuario (
    id_usuario SERIAL PRIMARY KEY,
    username   VARCHAR(50)  NOT NULL UNIQUE,
    password   VARCHAR(255) NOT NULL
);
"""

_COLUMNAS = """
    SELECT column_name, data_type, character_maximum_length, is_nullable, column_default
    FROM information_schema.columns
    WHERE table_schema = current_schema() AND table_name = %s
    ORDER BY ordinal_position
"""

_RESTRICCIONES = """
    SELECT c.contype, array_agg(a.attname::text ORDER BY a.attname)
    FROM pg_constraint c
    JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)
    WHERE c.conrelid = to_regclass(%s) AND c.contype IN ('p', 'u')
    GROUP BY c.conname, c.contype
    ORDER BY c.contype
"""


def consultar(consulta: str, parametros: tuple = ()) -> list[tuple]:
    with CursorDelPool() as cursor:
        cursor.execute(consulta, parametros)
        return cursor.fetchall()


def ejecutar(sentencias: str, parametros: tuple = ()) -> None:
    with CursorDelPool() as cursor:
        cursor.execute(sentencias, parametros)


def versiones() -> list[tuple[int, str]]:
    return consultar("SELECT version, archivo FROM esquema_version ORDER BY version")


def todas_las_versiones() -> list[tuple[int, str]]:
    """Lo que esquema_version debe decir con todas las migraciones del proyecto aplicadas."""
    return [(migracion.version, migracion.archivo) for migracion in leer_migraciones()]


# Los tests no suponen cuántas migraciones hay: una nueva (el siguiente DAO, una columna)
# no debe obligar a cambiarlos.
ULTIMA = len(leer_migraciones())
# La columna que añaden los tests de migraciones nuevas: ninguna migración del proyecto la
# crea (telefono, la del ejercicio 3, sí puede existir).
COLUMNA_DEL_TEST = "columna_del_test"


def tablas() -> list[str]:
    filas = consultar(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1"
    )
    return [tabla for (tabla,) in filas]


def columnas(tabla: str) -> list[tuple]:
    return consultar(_COLUMNAS, (tabla,))


def columnas_fijadas(tabla: str, *nombres: str) -> list[tuple]:
    """Nombre, tipo, longitud y si admite NULL de esas columnas de la tabla, en ese orden.

    Solo las que el test fija: otras columnas, añadidas por una migración posterior (la
    del ejercicio 3, la de un DAO nuevo), no lo hacen fallar.
    """
    por_nombre = {fila[0]: fila for fila in columnas(tabla)}
    return [por_nombre[nombre][:4] if nombre in por_nombre else (nombre,) for nombre in nombres]


def copiar_migraciones(destino: Path, hasta: int | None = None, **nuevas: str) -> Path:
    """Un directorio con las migraciones del proyecto (hasta la versión `hasta`) y, además,
    las `nuevas` (nombre de archivo sin .sql -> SQL)."""
    destino.mkdir()
    for migracion in leer_migraciones()[:hasta]:
        shutil.copy(DIRECTORIO_MIGRACIONES / migracion.archivo, destino)
    for nombre, sql in nuevas.items():
        (destino / f"{nombre}.sql").write_text(sql, encoding="utf-8")
    return destino


# --- desde una base vacía ---------------------------------------------------------------


def test_desde_una_base_vacia_aplica_cada_migracion_y_las_apunta(base_nueva):
    assert crear_esquema() == ULTIMA

    assert {"esquema_version", "persona", "usuario"} <= set(tablas())
    assert versiones() == todas_las_versiones()
    assert versiones()[:2] == [(1, "001_usuario.sql"), (2, "002_persona.sql")]


def test_la_tabla_usuario_tiene_las_columnas_fijadas(base_nueva):
    crear_esquema()

    assert columnas_fijadas("usuario", "id_usuario", "username", "password") == [
        ("id_usuario", "integer", None, "NO"),
        ("username", "character varying", 50, "NO"),
        ("password", "character varying", 255, "NO"),
    ]
    # SERIAL: el id sale de una secuencia propia de la columna.
    assert columnas("usuario")[0][4].startswith("nextval('usuario_id_usuario_seq'")
    assert consultar(_RESTRICCIONES, ("usuario",)) == [("p", ["id_usuario"]), ("u", ["username"])]


def test_la_tabla_persona_es_la_de_la_issue(base_nueva):
    crear_esquema()

    assert columnas_fijadas("persona", "id_persona", "nombre", "apellido", "email") == [
        ("id_persona", "integer", None, "NO"),
        ("nombre", "character varying", 50, "NO"),
        ("apellido", "character varying", 50, "NO"),
        ("email", "character varying", 100, "NO"),
    ]
    assert columnas("persona")[0][4].startswith("nextval('persona_id_persona_seq'")
    assert consultar(_RESTRICCIONES, ("persona",)) == [("p", ["id_persona"]), ("u", ["email"])]


def test_las_restricciones_las_pone_la_base(base_nueva):
    crear_esquema()
    ejecutar("INSERT INTO usuario (username, password) VALUES ('ana', 'hash')")

    with pytest.raises(psycopg2.errors.UniqueViolation):
        ejecutar("INSERT INTO usuario (username, password) VALUES ('ana', 'otro')")
    with pytest.raises(psycopg2.errors.NotNullViolation):
        ejecutar("INSERT INTO usuario (username) VALUES ('sin_clave')")
    with pytest.raises(psycopg2.errors.NotNullViolation):
        ejecutar("INSERT INTO persona (nombre, apellido) VALUES ('Ana', 'Pérez')")


def test_repetirlo_no_cambia_nada_ni_borra_datos(base_nueva):
    crear_esquema()
    ejecutar("INSERT INTO usuario (username, password) VALUES ('ana', 'hash')")
    antes = consultar("SELECT * FROM esquema_version ORDER BY version")
    columnas_antes = [columnas("usuario"), columnas("persona")]

    assert crear_esquema() == ULTIMA
    assert crear_esquema() == ULTIMA

    assert consultar("SELECT * FROM esquema_version ORDER BY version") == antes
    assert [columnas("usuario"), columnas("persona")] == columnas_antes
    assert consultar("SELECT id_usuario, username FROM usuario") == [(1, "ana")]


# --- bases creadas por versiones anteriores -----------------------------------------------


def test_una_base_del_antiguo_esquema_sql_se_pone_al_dia_sin_perder_datos(base_nueva):
    ejecutar(ESQUEMA_SQL_DE_ANTES)
    ejecutar("INSERT INTO usuario (username, password) VALUES ('ana', 'hash-de-ana')")

    assert crear_esquema() == ULTIMA

    assert versiones() == todas_las_versiones()
    assert consultar("SELECT * FROM usuario") == [(1, "ana", "hash-de-ana")]
    assert "persona" in tablas()
    ejecutar(
        "INSERT INTO usuario (username, password) VALUES ('bea', 'hash')"
    )  # la secuencia sigue
    assert consultar("SELECT max(id_usuario) FROM usuario") == [(2,)]


def test_de_la_version_anterior_a_la_ultima_sin_perder_datos(base_nueva, tmp_path):
    anteriores = copiar_migraciones(tmp_path / "anteriores", hasta=ULTIMA - 1)
    assert crear_esquema(anteriores) == ULTIMA - 1
    ejecutar("INSERT INTO usuario (username, password) VALUES ('ana', 'hash')")

    assert crear_esquema() == ULTIMA

    assert versiones() == todas_las_versiones()
    assert consultar("SELECT username FROM usuario") == [("ana",)]


def test_una_columna_nueva_en_una_migracion_nueva_se_aplica_al_arrancar(base_nueva, tmp_path):
    crear_esquema()
    ejecutar("INSERT INTO persona (nombre, apellido, email) VALUES ('Ana', 'Pérez', 'a@b.es')")
    # Una columna que solo añade este test: la del ejercicio 3 (telefono) puede estar ya.
    nueva = f"{ULTIMA + 1:03d}_persona_{COLUMNA_DEL_TEST}"
    con_columna = copiar_migraciones(
        tmp_path / "con_columna",
        **{nueva: f"ALTER TABLE persona ADD COLUMN {COLUMNA_DEL_TEST} VARCHAR(20);"},
    )

    assert crear_esquema(con_columna) == ULTIMA + 1

    assert [fila[0] for fila in columnas("persona")][-1] == COLUMNA_DEL_TEST
    assert consultar(f"SELECT nombre, {COLUMNA_DEL_TEST} FROM persona") == [("Ana", None)]
    assert versiones()[-1] == (ULTIMA + 1, f"{nueva}.sql")


# --- errores ------------------------------------------------------------------------------


def test_una_migracion_que_falla_se_nombra_y_deja_la_base_en_la_version_anterior(
    base_nueva, tmp_path
):
    rota = f"{ULTIMA + 1:03d}_rota"
    sql = f"ALTER TABLE persona ADD COLUMN {COLUMNA_DEL_TEST} TEXT;\nSELECT * FROM no_existe;"
    directorio = copiar_migraciones(tmp_path / "rota", **{rota: sql})

    for _intento in range(2):  # y la segunda vez, igual: no quedó nada a medias
        with pytest.raises(MigracionError) as error:
            crear_esquema(directorio)

        mensaje = str(error.value)
        assert f"La migración {rota}.sql falló" in mensaje
        assert re.search(r"«[^»\n]*no_existe[^»\n]*»", mensaje)  # PostgreSQL, citado en una línea
        assert f"La base sigue en la versión {ULTIMA}" in mensaje
        assert versiones() == todas_las_versiones()
        assert COLUMNA_DEL_TEST not in [fila[0] for fila in columnas("persona")]


def test_una_columna_not_null_en_una_tabla_con_filas_se_explica_en_espanol_y_el_original_va_al_log(
    base_nueva, tmp_path, caplog
):
    crear_esquema()
    ejecutar("INSERT INTO persona (nombre, apellido, email) VALUES ('Ana', 'Pérez', 'a@b.es')")
    nueva = f"{ULTIMA + 1:03d}_persona_{COLUMNA_DEL_TEST}"
    directorio = copiar_migraciones(
        tmp_path / "not_null",
        **{nueva: f"ALTER TABLE persona ADD COLUMN {COLUMNA_DEL_TEST} VARCHAR(20) NOT NULL;"},
    )

    with (
        caplog.at_level(logging.INFO, logger="acceso_datos"),
        pytest.raises(MigracionError) as error,
    ):
        crear_esquema(directorio)

    mensaje = str(error.value)
    original = str(error.value.__cause__).strip()  # lo que dijo PostgreSQL, en su idioma
    assert mensaje.startswith(f"La migración {nueva}.sql falló y no se aplicó: ")
    assert f"la columna {COLUMNA_DEL_TEST} de la tabla persona" in mensaje
    assert "DEFAULT" in mensaje  # y qué hacer
    assert original not in mensaje
    assert problemas_de_idioma(mensaje) == []
    assert (error.value.archivo, error.value.motivo) == (
        f"{nueva}.sql",
        mensaje.split(": ", 1)[1].split("\n")[0],
    )
    assert original in caplog.text
    assert versiones() == todas_las_versiones()


@pytest.mark.parametrize(
    ("archivos", "texto"),
    [
        pytest.param(["001_a.sql", "003_c.sql"], "tras la versión 1 viene 003_c.sql", id="hueco"),
        pytest.param(
            ["001_a.sql", "001_b.sql"], "tras la versión 1 viene 001_b.sql", id="repetido"
        ),
        pytest.param(["002_b.sql"], "tras la versión 0 viene 002_b.sql", id="sin_la_primera"),
        pytest.param(["001_a.sql", "producto.sql"], "NNN_descripcion.sql", id="sin_numero"),
        pytest.param(["001-a.sql"], "NNN_descripcion.sql", id="con_guion"),
    ],
)
def test_nombres_o_numeracion_incorrectos_lanzan_migracion_error(tmp_path, archivos, texto):
    for archivo in archivos:
        (tmp_path / archivo).write_text("SELECT 1;", encoding="utf-8")

    with pytest.raises(MigracionError, match=texto):
        leer_migraciones(tmp_path)


def test_otros_archivos_del_directorio_no_cuentan(tmp_path):
    (tmp_path / "001_a.sql").write_text("SELECT 1;", encoding="utf-8")
    (tmp_path / "LEAME.md").write_text("notas", encoding="utf-8")

    assert [migracion.archivo for migracion in leer_migraciones(tmp_path)] == ["001_a.sql"]


def test_editar_una_migracion_ya_aplicada_avisa_de_que_no_se_aplicara(base_nueva, tmp_path, caplog):
    crear_esquema()
    editadas = copiar_migraciones(tmp_path / "editadas")
    archivo = editadas / "002_persona.sql"
    archivo.write_text(
        archivo.read_text(encoding="utf-8").replace(
            "email", f"{COLUMNA_DEL_TEST} VARCHAR(20),\n    email"
        ),
        encoding="utf-8",
    )

    with caplog.at_level(logging.WARNING, logger="acceso_datos"):
        assert crear_esquema(editadas) == ULTIMA

    avisos = [registro.getMessage() for registro in caplog.records]
    assert any("002_persona.sql cambió después de aplicarse" in aviso for aviso in avisos)
    assert any("migración nueva" in aviso for aviso in avisos)


def test_una_base_mas_nueva_que_el_programa_avisa_y_no_toca_nada(base_nueva, tmp_path, caplog):
    crear_esquema()
    solo_la_primera = copiar_migraciones(tmp_path / "solo_la_primera", hasta=1)

    with caplog.at_level(logging.WARNING, logger="acceso_datos"):
        assert crear_esquema(solo_la_primera) == 1

    assert any("más nueva que este programa" in r.getMessage() for r in caplog.records)
    assert versiones() == todas_las_versiones()


# --- concurrencia -----------------------------------------------------------------------


def test_dos_arranques_a_la_vez_aplican_cada_migracion_una_sola_vez(base_nueva):
    hilos = 4
    salida = threading.Barrier(hilos)
    resultados: list[object] = []

    def arrancar() -> None:
        salida.wait(timeout=30)
        try:
            resultados.append(crear_esquema())
        except Exception as error:  # se comprueba abajo: ningún hilo debe fallar
            resultados.append(error)

    trabajadores = [threading.Thread(target=arrancar) for _ in range(hilos)]
    for trabajador in trabajadores:
        trabajador.start()
    for trabajador in trabajadores:
        trabajador.join(timeout=60)

    assert resultados == [ULTIMA] * hilos
    assert versiones() == todas_las_versiones()
