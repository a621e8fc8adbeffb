"""Los ejercicios de `ejercicios/README.md`: cada comprobación dice «aún no» con una
respuesta equivocada, y por qué en español y sin dar la buena, y «correcto» con la
solución de referencia de `ejercicios/soluciones/`.

Los ejercicios 3 y 4 se comprueban en una copia del proyecto, puesta en el punto de partida
del ejercicio: sin la columna telefono, o con la solución de referencia de ProductoDAO. Así
estos tests pasan también en un proyecto donde el alumno ya hizo los ejercicios, o añadió
otro DAO y otra migración.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from ayudas import RAIZ, problemas_de_idioma

from acceso_datos import Conexion, CursorDelPool
from acceso_datos.esquema import crear_esquema
from ejercicios.soluciones.producto.ficha import FICHA, IMPORTACIONES

SOLUCIONES = RAIZ / "ejercicios" / "soluciones"
LIMITE = 300  # segundos: solo para detectar un cuelgue


def orden(numero: int, *argumentos: str) -> list[str]:
    return [sys.executable, "-m", "ejercicios.comprobar", str(numero), *argumentos]


def comprobar(numero: int, *argumentos: str, raiz: Path = RAIZ, entorno=None):
    """`python -m ejercicios.comprobar N ...` en `raiz`, como lo ejecuta el alumno."""
    return subprocess.run(
        orden(numero, *argumentos),
        cwd=raiz,
        env=os.environ if entorno is None else entorno,
        capture_output=True,
        text=True,
        timeout=LIMITE,
    )


def a_la_vez(*comprobaciones: tuple[list[str], Path, dict]) -> list[tuple[int, str, str]]:
    """Varias comprobaciones lentas (cada una ejecuta la demo o una suite) en paralelo:
    (estado, salida, errores) de cada una."""
    procesos = [
        subprocess.Popen(
            argumentos,
            cwd=raiz,
            env=entorno,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )  # fmt: skip
        for argumentos, raiz, entorno in comprobaciones
    ]
    try:
        salidas = [proceso.communicate(timeout=LIMITE) for proceso in procesos]
    finally:
        for proceso in procesos:
            if proceso.poll() is None:
                proceso.kill()
                proceso.communicate()
    return [
        (proceso.returncode, *salida) for proceso, salida in zip(procesos, salidas, strict=True)
    ]


def copia_del_proyecto(destino: Path) -> Path:
    """El proyecto copiado a `destino`, sin entorno virtual, datos ni cachés: donde un alumno
    haría el ejercicio."""
    ignorar = shutil.ignore_patterns(
        ".venv", ".pgdata", ".git", "__pycache__", ".pytest_cache", ".ruff_cache", "*.log*"
    )
    return Path(shutil.copytree(RAIZ, destino / "proyecto", ignore=ignorar))


def quitar_migraciones(proyecto: Path, que_dicen: str) -> Path:
    """Quita de la copia las migraciones cuyo SQL dice `que_dicen` y numera de nuevo las
    demás (1, 2, 3...); devuelve el nombre que tendría la siguiente."""
    directorio = proyecto / "acceso_datos" / "migraciones"
    quedan = []
    for ruta in sorted(directorio.glob("*.sql")):
        if que_dicen in ruta.read_text(encoding="utf-8").lower():
            ruta.unlink()
        else:
            quedan.append(ruta)
    for numero, ruta in enumerate(quedan, start=1):
        ruta.rename(directorio / f"{numero:03d}_{ruta.name.split('_', 1)[1]}")
    return directorio / f"{len(quedan) + 1:03d}"


# --- 1. predecir y comprobar --------------------------------------------------------------


def test_ejercicio_1_dice_que_prediccion_falla_y_por_que_sin_dar_la_cifra(servidor_de_pruebas):
    # La buena es la de ejercicios/soluciones/respuestas.md; la mala falla solo la 1.ª (es
    # un 2). Cada comprobación ejecuta `DB_POOL_MAX=1 make demo`: las dos a la vez.
    bien, mal = a_la_vez(
        (orden(1, "2", "1", "1"), RAIZ, os.environ), (orden(1, "3", "1", "1"), RAIZ, os.environ)
    )

    assert bien[0] == 0, bien[1] + bien[2]
    assert "las tres predicciones coinciden" in bien[1]
    assert mal[0] == 1, mal[1] + mal[2]
    explicacion = mal[1].removeprefix("Ejercicio 1: aún no. ")
    assert explicacion.startswith("La 1.ª no coincide con la demostración; las otras dos, sí.")
    assert "SimpleConnectionPool(minconn, maxconn)" in explicacion  # por qué mirar otra vez
    assert "2.ª" not in explicacion and "3.ª" not in explicacion
    assert "2" not in explicacion  # ni la cifra buena
    assert comprobar(1, "2", "1").returncode == 1  # sin las tres, dice cómo escribirlas


# --- 2. una fuga en el log ------------------------------------------------------------------

FUGA = SOLUCIONES / "fuga.py"
CONFIGURAR_LOGGING = "    configurar_logging(configuracion.log_level, configuracion.log_file)\n"
SIN_FUGA = """\
from acceso_datos import CursorDelPool
from acceso_datos.configuracion import leer_configuracion
from acceso_datos.logger_base import configurar_logging

configuracion = leer_configuracion()
configurar_logging(configuracion.log_level, configuracion.log_file)
with CursorDelPool() as cursor:  # la conexión vuelve al pool: no hay fuga
    cursor.execute("SELECT 1")
"""


@pytest.fixture
def entorno_con_log(servidor_de_pruebas, tmp_path) -> dict[str, str]:
    return {**os.environ, "LOG_FILE": str(tmp_path / "fuga.log")}


def test_ejercicio_2_encuentra_la_fuga_que_provoca_la_solucion(entorno_con_log):
    resultado = comprobar(2, str(FUGA), entorno=entorno_con_log)

    assert resultado.returncode == 0, resultado.stdout + resultado.stderr
    assert "el log avisa: «Posible fuga»" in resultado.stdout
    assert "Posible fuga" in Path(entorno_con_log["LOG_FILE"]).read_text(encoding="utf-8")


def test_ejercicio_2_sin_configurar_logging_lo_dice_sin_pistas_equivocadas(
    entorno_con_log, tmp_path
):
    texto = FUGA.read_text(encoding="utf-8")
    assert CONFIGURAR_LOGGING in texto
    sin_log = tmp_path / "sin_log.py"
    sin_log.write_text(texto.replace(CONFIGURAR_LOGGING, ""), encoding="utf-8")

    resultado = comprobar(2, str(sin_log), entorno=entorno_con_log)

    assert resultado.returncode == 1, resultado.stdout + resultado.stderr
    assert "no llama a configurar_logging()" in resultado.stdout
    # La fuga sí la hizo: decirle que pida una conexión y espere sería una pista falsa.
    assert "Pida una conexión" not in resultado.stdout


def test_ejercicio_2_una_fuga_de_un_log_antiguo_no_cuenta(entorno_con_log, tmp_path):
    log = Path(entorno_con_log["LOG_FILE"])
    log.write_text(
        "2026-01-01 10:00:00,000 WARNING [conexion:1] Posible fuga: una conexión lleva 61 s "
        "prestada sin devolverse\n",
        encoding="utf-8",
    )
    sin_fuga = tmp_path / "sin_fuga.py"
    sin_fuga.write_text(SIN_FUGA, encoding="utf-8")

    resultado = comprobar(2, str(sin_fuga), entorno=entorno_con_log)

    assert resultado.returncode == 1, resultado.stdout + resultado.stderr
    assert "esta vez no dice «Posible fuga»" in resultado.stdout


def test_ejercicio_2_sin_programa_dice_como_pasarlo():
    resultado = comprobar(2)

    assert resultado.returncode == 1
    assert "Escriba la ruta de su programa" in resultado.stdout


# --- 3. una columna nueva -----------------------------------------------------------------


@pytest.fixture
def sin_telefono(base_nueva, tmp_path) -> tuple[Path, Path]:
    """Una copia del proyecto sin la migración de telefono (aunque el alumno ya la hiciera),
    su base al día y una persona de antes; devuelve la copia y el nombre, sin .sql, de la
    migración siguiente."""
    proyecto = copia_del_proyecto(tmp_path)
    siguiente = quitar_migraciones(proyecto, "telefono")
    crear_esquema(proyecto / "acceso_datos" / "migraciones")
    with CursorDelPool() as cursor:
        cursor.execute(
            "INSERT INTO persona (nombre, apellido, email) VALUES ('Ana', 'Pérez', 'a@b.es')"
        )
    Conexion.cerrar_conexiones()
    return proyecto, siguiente


def personas() -> list[tuple]:
    with CursorDelPool() as cursor:
        cursor.execute("SELECT nombre, apellido, email, telefono FROM persona")
        return cursor.fetchall()


def test_ejercicio_3_la_columna_llega_por_una_migracion_y_las_personas_se_quedan(sin_telefono):
    proyecto, siguiente = sin_telefono
    assert comprobar(3, raiz=proyecto).returncode == 1  # aún sin la migración

    shutil.copy(SOLUCIONES / "003_persona_telefono.sql", f"{siguiente}_persona_telefono.sql")
    resultado = comprobar(3, raiz=proyecto)

    assert resultado.returncode == 0, resultado.stdout + resultado.stderr
    assert "persona tiene telefono" in resultado.stdout
    assert personas() == [("Ana", "Pérez", "a@b.es", None)]
    Conexion.cerrar_conexiones()


@pytest.mark.parametrize(
    ("columna", "explicacion"),
    [
        pytest.param("INTEGER", "es de tipo integer, y el enunciado pide VARCHAR(20)", id="entero"),
        pytest.param("VARCHAR(200)", "es de tipo character varying(200)", id="otra_longitud"),
        pytest.param(
            "VARCHAR(20) NOT NULL DEFAULT ''", "no admite vacíos (NOT NULL)", id="not_null"
        ),
    ],
)
def test_ejercicio_3_rechaza_otro_tipo_o_una_columna_que_no_admite_vacios(
    sin_telefono, columna, explicacion
):
    proyecto, siguiente = sin_telefono
    Path(f"{siguiente}_persona_telefono.sql").write_text(
        f"ALTER TABLE persona ADD COLUMN telefono {columna};", encoding="utf-8"
    )

    resultado = comprobar(3, raiz=proyecto)

    assert resultado.returncode == 1, resultado.stdout + resultado.stderr
    assert explicacion in resultado.stdout
    assert problemas_de_idioma(resultado.stdout) == []


def test_ejercicio_3_una_migracion_que_falla_se_explica_en_una_linea_en_espanol(sin_telefono):
    proyecto, siguiente = sin_telefono
    migracion = Path(f"{siguiente}_persona_telefono.sql")
    migracion.write_text(
        "ALTER TABLE persona ADD COLUMN telefono VARCHAR(20) NOT NULL;", encoding="utf-8"
    )

    resultado = comprobar(3, raiz=proyecto)

    assert resultado.returncode == 1
    assert resultado.stderr == ""  # ni trazas ni avisos
    assert resultado.stdout.count("\n") == 1, resultado.stdout
    assert resultado.stdout.startswith(
        f"Ejercicio 3: aún no. La migración {migracion.name} falló y no se aplicó: la columna "
        "telefono de la tabla persona es NOT NULL"
    )
    assert problemas_de_idioma(resultado.stdout) == []
    assert "telefono" not in _columnas_de_persona()  # no quedó nada a medias


def _columnas_de_persona() -> list[str]:
    with CursorDelPool() as cursor:
        cursor.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'persona'"
        )
        columnas = [fila[0] for fila in cursor.fetchall()]
    Conexion.cerrar_conexiones()
    return columnas


def test_la_respuesta_del_ejercicio_3_no_esta_escrita_en_la_documentacion():
    documentos = [RAIZ / "README.md", RAIZ / "ejercicios" / "README.md"]
    documentos += sorted((RAIZ / "docs").glob("*.md"))
    for documento in documentos:
        texto = " ".join(documento.read_text(encoding="utf-8").lower().split())
        assert not re.search(r"add column telefono varchar", texto), documento.name


# --- 4. ProductoDAO contra la suite de contrato ---------------------------------------------


def con_producto(destino: Path) -> Path:
    """Una copia del proyecto con la solución de referencia de ProductoDAO (en lugar de la
    del alumno, si ya la tenía): su migración, la entidad, el DAO y su ficha."""
    proyecto = copia_del_proyecto(destino)
    paquete = proyecto / "acceso_datos"
    siguiente = quitar_migraciones(proyecto, "create table producto")
    producto = SOLUCIONES / "producto"
    shutil.copy(producto / "003_producto.sql", f"{siguiente}_producto.sql")
    shutil.copy(producto / "producto.py", paquete)
    shutil.copy(producto / "producto_dao.py", paquete)
    contrato = proyecto / "tests" / "test_contrato_dao.py"
    texto = contrato.read_text(encoding="utf-8")
    if "ProductoDAO" not in texto:
        texto = texto.replace("import pytest\n", f"import pytest\n{IMPORTACIONES}", 1)
        texto = texto.replace("\n]\n", f"\n{FICHA}]\n", 1)  # el final de FICHAS
        contrato.write_text(texto, encoding="utf-8")
    return proyecto


def sin_guardar_el_precio(proyecto: Path) -> None:
    """Estropea el DAO de la copia como lo haría un despiste: su UPDATE olvida el precio."""
    dao = proyecto / "acceso_datos" / "producto_dao.py"
    texto = dao.read_text(encoding="utf-8")
    cambios = [
        ("SET nombre = %s, precio = %s WHERE", "SET nombre = %s WHERE"),
        ("_ACTUALIZAR, (*datos, id_producto))", "_ACTUALIZAR, (datos[0], id_producto))"),
    ]
    for antes, despues in cambios:
        assert antes in texto
        texto = texto.replace(antes, despues)
    dao.write_text(texto, encoding="utf-8")


def test_ejercicio_4_sin_producto_dao_dice_que_falta(servidor_de_pruebas, tmp_path):
    proyecto = copia_del_proyecto(tmp_path)
    (proyecto / "acceso_datos" / "producto_dao.py").unlink(missing_ok=True)

    resultado = comprobar(4, raiz=proyecto)

    assert resultado.returncode == 1
    assert "Falta acceso_datos/producto_dao.py" in resultado.stdout


@pytest.mark.lento
def test_ejercicio_4_nombra_en_espanol_el_contrato_que_no_se_cumple_y_acepta_la_solucion(
    servidor_de_pruebas, tmp_path
):
    bueno = con_producto(tmp_path / "bueno")
    malo = con_producto(tmp_path / "malo")
    sin_guardar_el_precio(malo)
    # El pytest de dentro no debe usar ni vaciar el directorio temporal de este.
    entornos = [
        {**os.environ, "PYTEST_ADDOPTS": f"--basetemp={tmp_path / nombre / 'pytest'}"}
        for nombre in ("bueno", "malo")
    ]

    bien, mal = a_la_vez((orden(4), bueno, entornos[0]), (orden(4), malo, entornos[1]))

    assert bien[0] == 0, bien[1] + bien[2]
    assert "ProductoDAO cumple los" in bien[1]
    assert mal[0] == 1, mal[1] + mal[2]
    assert "No cumple que:" in mal[1]
    assert (
        "  - Insertar guarda cada campo, y actualizar cambia cada uno sin tocar los demás. "
        "(en: precio)\n" in mal[1]
    )
    assert "nombre)" not in mal[1]  # el nombre sí lo guarda
    # Nada de la salida de pytest, en inglés.
    for ingles in ("assert", "FAILED", "passed", "Error:", "Traceback"):
        assert ingles not in mal[1]
    assert problemas_de_idioma(mal[1]) == []
