"""Comprueba un ejercicio de `ejercicios/README.md`: `.venv/bin/python -m ejercicios.comprobar N`.

Sale con 0 y «correcto» si el ejercicio está hecho, o con 1 y lo que falta: dice dónde
mirar otra vez, nunca la respuesta. Mira el proyecto tal como está (sus archivos, su base
y su log), igual que lo vería `make run`.
"""

import ast
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from xml.etree import ElementTree

from acceso_datos import Conexion, CursorDelPool, PersonaDAO
from acceso_datos.configuracion import leer_configuracion
from acceso_datos.consola import escribir_linea_a_linea
from acceso_datos.errores import ErrorAccesoDatos, MigracionError
from acceso_datos.esquema import DIRECTORIO_MIGRACIONES, crear_esquema, leer_migraciones

RAIZ = Path(__file__).resolve().parent.parent
LOG_POR_DEFECTO = RAIZ / "acceso_datos.log"  # el de configurar_logging() sin argumentos
LIMITE_PROGRAMA = 60  # segundos para el programa del ejercicio 2: solo atrapa un cuelgue


class NoHecho(Exception):
    """El ejercicio aún no está hecho; el mensaje dice qué falta."""


# --- 1. predecir y comprobar ------------------------------------------------------------

# Cada pregunta del ejercicio 1 y por qué mirar otra vez si no se acierta (sin la cifra).
PREDICCIONES = (
    (
        "qué getconn() falla en el paso 1",
        "¿cuántas conexiones abre como mucho SimpleConnectionPool(minconn, maxconn), y qué "
        "hace cuando se le pide una más de las que caben?",
    ),
    (
        "el pico de conexiones en uso en el paso 7",
        "el pico cuenta conexiones prestadas a la vez, no hilos: ¿puede este pool prestar "
        "más de DB_POOL_MAX, por muchos hilos que las pidan?",
    ),
    (
        "cuántas conexiones distintas del servidor atienden las consultas del paso 7",
        "cada conexión del pool es un proceso de PostgreSQL, y el pool reutiliza las que se "
        "devuelven en vez de abrir otras: ¿cuántas llega a tener abiertas?",
    ),
)
ORDINALES = ("1.ª", "2.ª", "3.ª")


def ejercicio_1(prediccion: list[str]) -> str:
    """La demostración con DB_POOL_MAX=1: ¿qué getconn() falla en el paso 1, qué pico de
    conexiones en uso hay en el paso 7 y cuántas conexiones distintas del servidor?"""
    if len(prediccion) != 3 or not all(cifra.isascii() and cifra.isdigit() for cifra in prediccion):
        raise NoHecho(
            "Escriba sus tres predicciones tras el número del ejercicio, por ejemplo: "
            "python -m ejercicios.comprobar 1 4 3 2"
        )
    medido = _medir_la_demo_con_una_conexion()
    fallos = [
        numero
        for numero, (suya, real) in enumerate(zip(prediccion, medido, strict=True))
        if int(suya) != real
    ]
    if fallos:
        raise NoHecho(_a_repasar(fallos))
    return "las tres predicciones coinciden con `DB_POOL_MAX=1 make demo`."


def _medir_la_demo_con_una_conexion() -> list[int]:
    """Ejecuta la demostración con DB_POOL_MAX=1 y lee sus tres cifras."""
    demo = subprocess.run(
        [sys.executable, "-m", "acceso_datos.demo_pool"],
        cwd=RAIZ,
        env={**os.environ, "DB_POOL_MAX": "1", "DB_POOL_MIN": "1"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    if demo.returncode != 0:
        raise NoHecho(f"La demostración falló: {_ultima_linea(demo.stderr or demo.stdout)}")
    return [
        _cifra(r"getconn\(\) (\d+): PoolError", demo.stdout),
        _cifra(r"pico de conexiones en uso a la vez: (\d+)", demo.stdout),
        _cifra(r"conexiones distintas del servidor que las atendieron: (\d+)", demo.stdout),
    ]


def _a_repasar(fallos: list[int]) -> str:
    """Qué predicciones no coinciden y por qué mirarlas otra vez, sin las cifras."""
    partes = [f"la {ORDINALES[numero]}" for numero in fallos]
    nombradas = ", ".join(partes[:-1]) + " y " + partes[-1] if len(partes) > 1 else partes[0]
    verbo = "no coincide" if len(fallos) == 1 else "no coinciden"
    resto = {1: "; las otras dos, sí", 2: "; la otra, sí", 3: ""}[len(fallos)]
    lineas = [f"L{nombradas[1:]} {verbo} con la demostración{resto}."]
    for numero in fallos:
        pregunta, pista = PREDICCIONES[numero]
        lineas.append(f"  {ORDINALES[numero]}, {pregunta}: {pista}")
    lineas.append(
        "Repásela con ese paso de `make demo` delante (lo explica con las cifras del curso) "
        "y vuelva a comprobar."
        if len(fallos) == 1
        else "Repáselas con esos pasos de `make demo` delante (los explica con las cifras del "
        "curso) y vuelva a comprobar."
    )
    return "\n".join(lineas)


# --- 2. una fuga en el log ----------------------------------------------------------------


def ejercicio_2(argumentos: list[str]) -> str:
    """Una fuga provocada por el programa del alumno: «Posible fuga» en lo que esta
    ejecución escribió en el log (lo de ejecuciones anteriores no cuenta)."""
    if len(argumentos) != 1:
        raise NoHecho(
            "Escriba la ruta de su programa tras el número del ejercicio, por ejemplo: "
            "python -m ejercicios.comprobar 2 fuga.py. La comprobación lo ejecuta con "
            "DB_POOL_LEAK_WARN=1 y mira lo que escribe en el log."
        )
    programa = Path(argumentos[0]).resolve()
    if not programa.is_file():
        raise NoHecho(f"No existe el archivo {programa}.")
    # Lo que ya había en cada log se salta: solo cuenta lo que escriba esta ejecución.
    logs = {leer_configuracion().log_file, LOG_POR_DEFECTO}
    antes = {log: _tamano(log) for log in logs}
    entorno = {**os.environ, "DB_POOL_LEAK_WARN": "1"}
    # Para que `import acceso_datos` funcione también con el programa fuera del proyecto.
    entorno["PYTHONPATH"] = os.pathsep.join(filter(None, [str(RAIZ), os.environ.get("PYTHONPATH")]))
    try:
        ejecucion = subprocess.run(
            [sys.executable, str(programa)],
            cwd=RAIZ,
            env=entorno,
            capture_output=True,
            text=True,
            timeout=LIMITE_PROGRAMA,
        )
    except subprocess.TimeoutExpired:
        raise NoHecho(
            f"Su programa no terminó en {LIMITE_PROGRAMA} s. Con DB_POOL_LEAK_WARN=1 basta "
            "esperar un par de segundos antes de volver a mirar el pool."
        ) from None
    if ejecucion.returncode != 0:
        raise NoHecho(
            f"Su programa terminó con error (estado {ejecucion.returncode}): "
            f"{_ultima_linea(ejecucion.stderr)}"
        )
    escrito = "".join(_escrito_desde(log, antes[log]) for log in sorted(logs))
    if not escrito:
        if not _llama_a(programa, "configurar_logging"):
            raise NoHecho(
                "Su programa no escribió nada en el log: no llama a configurar_logging() (de "
                "logger_base.py). Sin ella, la biblioteca no escribe en ningún archivo y el "
                "aviso de la fuga se pierde. Llámela al empezar, como hace el menú."
            )
        raise NoHecho(
            "Su programa llama a configurar_logging(), pero no escribió nada en "
            f"{' ni en '.join(str(log) for log in sorted(logs))}. Pásele el archivo de la "
            "configuración, como hace el menú: configurar_logging(c.log_level, c.log_file), "
            "con c = leer_configuracion()."
        )
    if "Posible fuga" not in escrito:
        raise NoHecho(
            "Su programa escribió en el log, pero esta vez no dice «Posible fuga». Pida una "
            "conexión con Conexion.obtener_conexion(), no la devuelva y, pasados más de "
            "DB_POOL_LEAK_WARN segundos (la comprobación pone 1), pida otra o llame a "
            "Conexion.estadisticas(): el pool solo busca fugas entonces."
        )
    return "su programa dejó una conexión sin devolver y el log avisa: «Posible fuga»."


def _llama_a(programa: Path, funcion: str) -> bool:
    """¿Hay en el programa una llamada a `funcion` (no basta con importarla)?"""
    arbol = ast.parse(programa.read_text(encoding="utf-8", errors="replace"))
    return any(
        isinstance(nodo, ast.Call)
        and funcion in (getattr(nodo.func, "id", None), getattr(nodo.func, "attr", None))
        for nodo in ast.walk(arbol)
    )


def _tamano(archivo: Path) -> int:
    return archivo.stat().st_size if archivo.exists() else 0


def _escrito_desde(archivo: Path, desde: int) -> str:
    """Lo que se escribió en `archivo` a partir de `desde` (entero, si el log rotó)."""
    if not archivo.exists():
        return ""
    with archivo.open("rb") as entrada:
        if archivo.stat().st_size >= desde:
            entrada.seek(desde)
        return entrada.read().decode("utf-8", errors="replace")


# --- 3. una columna nueva -------------------------------------------------------------------


def ejercicio_3(argumentos: list[str]) -> str:
    """La columna `telefono` en `persona`: de texto (VARCHAR(20)), que admite vacíos, y
    añadida con una migración nueva."""
    try:
        con_telefono = [
            migracion for migracion in leer_migraciones() if "telefono" in migracion.sql.lower()
        ]
        if not con_telefono:
            raise NoHecho(
                f"Ninguna migración de {DIRECTORIO_MIGRACIONES} habla de telefono: cree una "
                "nueva, con el número siguiente al último (NNN_persona_telefono.sql), con el "
                "ALTER TABLE."
            )
        crear_esquema()  # lo que hace `make run` al arrancar
        with CursorDelPool() as cursor:
            cursor.execute(
                "SELECT format_type(atttypid, atttypmod), attnotnull FROM pg_attribute "
                "WHERE attrelid = to_regclass('persona') AND attname = 'telefono' "
                "AND attnum > 0 AND NOT attisdropped"
            )
            columna = cursor.fetchone()
            cursor.execute("SELECT archivo, suma_sha256 FROM esquema_version")
            aplicadas = dict(cursor.fetchall())
        PersonaDAO.contar()  # el DAO sigue funcionando con la columna nueva
    except MigracionError as error:
        raise NoHecho(_migracion_que_falla(error)) from None
    except ErrorAccesoDatos as error:
        raise NoHecho(f"Sin conexión con la base de datos: {error}") from None
    finally:
        Conexion.cerrar_conexiones()
    if columna is None:
        editadas = [
            m.archivo for m in con_telefono if aplicadas.get(m.archivo) not in (None, m.suma)
        ]
        if editadas:
            raise NoHecho(
                f"telefono está en {editadas[0]}, que esta base ya tenía aplicada: una "
                "migración aplicada no se vuelve a aplicar. Déjela como estaba y escriba el "
                "cambio en una migración nueva."
            )
        raise NoHecho("La tabla persona no tiene la columna telefono.")
    tipo, no_admite_vacios = columna
    if tipo != "character varying(20)":
        raise NoHecho(
            f"La columna telefono es de tipo {tipo}, y el enunciado pide VARCHAR(20): un "
            "teléfono es texto (lleva ceros a la izquierda, espacios o un +, y no se suma). "
            "Como esa migración ya se aplicó, corríjalo con otra nueva (ALTER TABLE ... ALTER "
            "COLUMN ...)."
        )
    if no_admite_vacios:
        raise NoHecho(
            "La columna telefono no admite vacíos (NOT NULL), y el enunciado dice que puede "
            "quedar vacía: las personas que ya había no tienen teléfono. Corríjalo con otra "
            "migración nueva (la aplicada no se vuelve a aplicar)."
        )
    archivos = [migracion.archivo for migracion in con_telefono]
    return f"persona tiene telefono (VARCHAR(20), admite vacíos), de {archivos[-1]}."


def _migracion_que_falla(error: MigracionError) -> str:
    """Una migración que falla, en una línea y sin traza."""
    if error.archivo is None:
        return " ".join(str(error).split())
    motivo = error.motivo or ""
    punto = "" if motivo.endswith(".") else "."
    return (
        f"La migración {error.archivo} falló y no se aplicó: {motivo}{punto} Nada quedó a "
        "medias: corrija el archivo y vuelva a comprobar."
    )


# --- 4. ProductoDAO contra la suite de contrato ---------------------------------------------

CONTRATO = Path("tests") / "test_contrato_dao.py"


def ejercicio_4(argumentos: list[str]) -> str:
    """`ProductoDAO` pasa la suite de contrato."""
    if not (RAIZ / "acceso_datos" / "producto_dao.py").exists():
        raise NoHecho("Falta acceso_datos/producto_dao.py (y producto.py y su migración).")
    with tempfile.TemporaryDirectory(prefix="comprobar_4_") as directorio:
        informe = Path(directorio) / "informe.xml"
        suite = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(CONTRATO)]
            + ["-k", "ProductoDAO", f"--junitxml={informe}"],
            cwd=RAIZ,
            capture_output=True,
            text=True,
            timeout=600,
        )
        casos = _casos(informe)
    if suite.returncode == 5:  # pytest: ningún test elegido
        raise NoHecho("La suite de contrato no prueba ProductoDAO: añada su ficha a FICHAS.")
    fallidos = [(nombre, parametros) for nombre, parametros, bien in casos if not bien]
    if suite.returncode != 0 and not fallidos:
        raise NoHecho(
            "La suite de contrato no llegó a ejecutarse (¿un error al importar "
            f"producto_dao.py o en la ficha?): {_ultima_linea(suite.stdout, 'E   ')}"
        )
    if fallidos:
        raise NoHecho(_contratos_incumplidos(fallidos, len(casos)))
    return f"ProductoDAO cumple los {len(casos)} casos de la suite de contrato."


def _casos(informe: Path) -> list[tuple[str, list[str], bool]]:
    """De cada test del informe de pytest: su nombre, sus parámetros y si pasó."""
    if not informe.exists():
        return []
    casos = []
    for caso in ElementTree.parse(informe).iter("testcase"):
        nombre, _, parametros = caso.get("name", "").partition("[")
        if caso.find("skipped") is not None:
            continue
        bien = caso.find("failure") is None and caso.find("error") is None
        partes = [p for p in parametros.rstrip("]").split("-") if p and p != "ProductoDAO"]
        casos.append((nombre, partes, bien))
    return casos


def _contratos_incumplidos(fallidos: list[tuple[str, list[str]]], total: int) -> str:
    """Cada contrato que no se cumple, dicho con el docstring de su test."""
    frases = _frases_del_contrato()
    por_test: dict[str, list[str]] = {}
    for nombre, parametros in fallidos:
        por_test.setdefault(nombre, []).extend(parametros)
    lineas = [
        f"ProductoDAO falla {len(fallidos)} de los {total} casos de la suite de contrato. "
        "No cumple que:"
    ]
    for nombre, parametros in por_test.items():
        frase = frases.get(nombre, nombre.removeprefix("test_").replace("_", " "))
        casos = f" (en: {', '.join(dict.fromkeys(parametros))})" if parametros else ""
        lineas.append(f"  - {frase}{casos}")
    lineas.append(f"El detalle: .venv/bin/python -m pytest {CONTRATO} -k ProductoDAO")
    return "\n".join(lineas)


def _frases_del_contrato() -> dict[str, str]:
    """Nombre de cada test de la suite de contrato -> su docstring (el contrato en palabras)."""
    arbol = ast.parse((RAIZ / CONTRATO).read_text(encoding="utf-8"))
    return {
        nodo.name: " ".join(documento.split())
        for nodo in arbol.body
        if isinstance(nodo, ast.FunctionDef) and (documento := ast.get_docstring(nodo))
    }


# --- común ------------------------------------------------------------------------------

EJERCICIOS: dict[str, Callable[[list[str]], str]] = {
    "1": ejercicio_1,
    "2": ejercicio_2,
    "3": ejercicio_3,
    "4": ejercicio_4,
}


def _cifra(patron: str, texto: str) -> int:
    encontrada = re.search(patron, texto)
    if encontrada is None:
        raise NoHecho(f"La salida de la demostración no trae {patron!r}.")
    return int(encontrada[1])


def _ultima_linea(texto: str, prefijo: str = "") -> str:
    """La última línea de `texto` que empieza por `prefijo`, citada (suele ser el error)."""
    lineas = [linea for linea in texto.splitlines() if linea.strip() and linea.startswith(prefijo)]
    return f"«{lineas[-1].removeprefix(prefijo).strip()}»" if lineas else "(sin mensaje)"


def main(argumentos: list[str]) -> int:
    """Comprueba el ejercicio pedido; 0 si está hecho, 1 si no, 2 si no existe."""
    if not argumentos or argumentos[0] not in EJERCICIOS:
        print(f"Uso: python -m ejercicios.comprobar N, con N de 1 a {len(EJERCICIOS)}.")
        return 2
    numero, resto = argumentos[0], argumentos[1:]
    try:
        hecho = EJERCICIOS[numero](resto)
    except NoHecho as falta:
        print(f"Ejercicio {numero}: aún no. {falta}")
        return 1
    print(f"Ejercicio {numero}: correcto: {hecho}")
    return 0


if __name__ == "__main__":
    escribir_linea_a_linea()
    sys.exit(main(sys.argv[1:]))
