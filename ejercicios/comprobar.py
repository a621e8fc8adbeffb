"""Comprueba un ejercicio de `ejercicios/README.md`: `.venv/bin/python -m ejercicios.comprobar N`.

Sale con 0 y «Correcto» si el ejercicio está hecho, o con 1 y lo que falta. Mira el
proyecto tal como está (sus archivos, su base y su log), igual que lo vería `make run`.
"""

import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from acceso_datos import Conexion, CursorDelPool, PersonaDAO
from acceso_datos.configuracion import leer_configuracion
from acceso_datos.consola import escribir_linea_a_linea
from acceso_datos.esquema import DIRECTORIO_MIGRACIONES, crear_esquema

RAIZ = Path(__file__).resolve().parent.parent


class NoHecho(Exception):
    """El ejercicio aún no está hecho; el mensaje dice qué falta."""


def ejercicio_1(prediccion: list[str]) -> str:
    """La demostración con DB_POOL_MAX=1: ¿qué getconn() falla en el paso 1, qué pico de
    conexiones en uso hay en el paso 7 y cuántas conexiones distintas del servidor?"""
    if len(prediccion) != 3 or not all(cifra.isdigit() for cifra in prediccion):
        raise NoHecho(
            "Escriba sus tres predicciones tras el número del ejercicio, por ejemplo: "
            "python -m ejercicios.comprobar 1 4 3 2"
        )
    demo = subprocess.run(
        [sys.executable, "-m", "acceso_datos.demo_pool"],
        cwd=RAIZ,
        env={**os.environ, "DB_POOL_MAX": "1", "DB_POOL_MIN": "1"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    if demo.returncode != 0:
        raise NoHecho(f"La demostración falló:\n{demo.stdout}{demo.stderr}")
    medido = [
        _cifra(r"getconn\(\) (\d+): PoolError", demo.stdout),
        _cifra(r"pico de conexiones en uso a la vez: (\d+)", demo.stdout),
        _cifra(r"conexiones distintas del servidor que las atendieron: (\d+)", demo.stdout),
    ]
    preguntas = ("getconn() que falla", "pico en uso", "conexiones distintas")
    fallos = [
        f"{pregunta}: predijo {suya}, la demostración dice {real}"
        for pregunta, suya, real in zip(preguntas, prediccion, medido, strict=True)
        if int(suya) != real
    ]
    if fallos:
        raise NoHecho("; ".join(fallos) + ". Lea la salida de `DB_POOL_MAX=1 make demo`.")
    return "las tres predicciones coinciden con `DB_POOL_MAX=1 make demo`."


def ejercicio_2(argumentos: list[str]) -> str:
    """Una fuga provocada: «Posible fuga» en el log."""
    log = leer_configuracion().log_file
    if not log.exists() or "Posible fuga" not in log.read_text(encoding="utf-8"):
        raise NoHecho(
            f"{log} no dice «Posible fuga». Pida una conexión con Conexion.obtener_conexion(), "
            "no la devuelva y espere más de DB_POOL_LEAK_WARN segundos antes de pedir otra o "
            "de mirar Conexion.estadisticas()."
        )
    return f"{log} avisa de la fuga."


def ejercicio_3(argumentos: list[str]) -> str:
    """La columna `telefono` en `persona`, añadida con una migración nueva."""
    con_telefono = [
        archivo.name
        for archivo in sorted(DIRECTORIO_MIGRACIONES.glob("*.sql"))
        if "telefono" in archivo.read_text(encoding="utf-8")
    ]
    if not con_telefono:
        raise NoHecho(
            f"Ninguna migración de {DIRECTORIO_MIGRACIONES} habla de telefono: cree "
            "003_persona_telefono.sql con el ALTER TABLE."
        )
    try:
        crear_esquema()  # lo que hace `make run` al arrancar
        with CursorDelPool() as cursor:
            cursor.execute(
                "SELECT 1 FROM information_schema.columns "
                "WHERE table_name = 'persona' AND column_name = 'telefono'"
            )
            columna = cursor.fetchone() is not None
            cursor.execute("SELECT archivo FROM esquema_version ORDER BY version")
            aplicadas = [archivo for (archivo,) in cursor]
        PersonaDAO.contar()  # el DAO sigue funcionando con la columna nueva
    finally:
        Conexion.cerrar_conexiones()
    if not columna:
        raise NoHecho("La tabla persona no tiene la columna telefono.")
    if not set(con_telefono) & set(aplicadas):
        raise NoHecho(f"{con_telefono[0]} no figura en esquema_version como aplicada.")
    return f"persona tiene telefono, y {con_telefono[0]} está en esquema_version."


def ejercicio_4(argumentos: list[str]) -> str:
    """`ProductoDAO` pasa la suite de contrato."""
    if not (RAIZ / "acceso_datos" / "producto_dao.py").exists():
        raise NoHecho("Falta acceso_datos/producto_dao.py (y producto.py y su migración).")
    suite = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
        + ["tests/test_contrato_dao.py", "-k", "ProductoDAO"],
        cwd=RAIZ,
        capture_output=True,
        text=True,
        timeout=600,
    )
    resumen = suite.stdout.strip().splitlines()[-1] if suite.stdout.strip() else ""
    if suite.returncode == 5:  # pytest: ningún test elegido
        raise NoHecho("La suite de contrato no prueba ProductoDAO: añada su ficha a FICHAS.")
    if suite.returncode != 0:
        raise NoHecho(f"La suite de contrato falla con ProductoDAO:\n{suite.stdout[-3000:]}")
    return f"la suite de contrato pasa con ProductoDAO ({resumen})."


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
