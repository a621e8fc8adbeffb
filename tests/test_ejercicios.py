"""Los ejercicios de `ejercicios/README.md`: cada comprobación dice «aún no» en el proyecto
tal como viene y «correcto» con la solución de referencia de `ejercicios/soluciones/`.
Así se sabe que cada ejercicio tiene solución y que su comprobación la reconoce."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from ayudas import RAIZ

from acceso_datos import Conexion, Persona, PersonaDAO
from acceso_datos.esquema import crear_esquema
from ejercicios.soluciones.producto.ficha import FICHA, IMPORTACIONES

SOLUCIONES = RAIZ / "ejercicios" / "soluciones"
LIMITE = 300  # segundos: solo para detectar un cuelgue


def comprobar(numero: int, *argumentos: str, raiz: Path = RAIZ, entorno=None):
    """`python -m ejercicios.comprobar N ...` en `raiz`, como lo ejecuta el alumno."""
    return subprocess.run(
        [sys.executable, "-m", "ejercicios.comprobar", str(numero), *argumentos],
        cwd=raiz,
        env=os.environ if entorno is None else entorno,
        capture_output=True,
        text=True,
        timeout=LIMITE,
    )


def copia_del_proyecto(destino: Path) -> Path:
    """El proyecto copiado a `destino`, sin entorno virtual, datos ni cachés: donde un alumno
    haría el ejercicio."""
    ignorar = shutil.ignore_patterns(
        ".venv", ".pgdata", ".git", "__pycache__", ".pytest_cache", ".ruff_cache", "*.log*"
    )
    return Path(shutil.copytree(RAIZ, destino / "proyecto", ignore=ignorar))


def test_ejercicio_1_acepta_la_solucion_de_referencia(servidor_de_pruebas):
    # La de ejercicios/soluciones/respuestas.md. Es también la prueba de
    # `DB_POOL_MAX=1 make demo`: la comprobación la ejecuta y compara sus cifras.
    resultado = comprobar(1, "2", "1", "1")

    assert resultado.returncode == 0, resultado.stdout + resultado.stderr
    assert "las tres predicciones coinciden" in resultado.stdout
    assert comprobar(1, "2", "1").returncode == 1  # sin las tres, dice cómo escribirlas


def test_ejercicio_2_encuentra_la_fuga_que_provoca_la_solucion(servidor_de_pruebas, tmp_path):
    entorno = {**os.environ, "LOG_FILE": str(tmp_path / "fuga.log"), "DB_POOL_LEAK_WARN": "1"}
    assert comprobar(2, entorno=entorno).returncode == 1  # aún sin log

    fuga = subprocess.run(
        [sys.executable, "-m", "ejercicios.soluciones.fuga"],
        cwd=RAIZ,
        env=entorno,
        capture_output=True,
        text=True,
        timeout=LIMITE,
    )

    assert fuga.returncode == 0, fuga.stderr
    resultado = comprobar(2, entorno=entorno)
    assert resultado.returncode == 0, resultado.stdout
    assert "Posible fuga" in (tmp_path / "fuga.log").read_text(encoding="utf-8")


def test_ejercicio_3_la_columna_llega_por_una_migracion_y_las_personas_se_quedan(
    base_nueva, tmp_path
):
    proyecto = copia_del_proyecto(tmp_path)
    # Una persona de antes de la migración (el pool apunta ya a la base nueva).
    crear_esquema()
    PersonaDAO.insertar(Persona(None, "Ana", "Pérez", "ana@ejemplo.com"))
    Conexion.cerrar_conexiones()
    assert comprobar(3, raiz=proyecto).returncode == 1

    migraciones = proyecto / "acceso_datos" / "migraciones"
    shutil.copy(SOLUCIONES / "003_persona_telefono.sql", migraciones)
    resultado = comprobar(3, raiz=proyecto)

    assert resultado.returncode == 0, resultado.stdout + resultado.stderr
    assert PersonaDAO.seleccionar() == [Persona(1, "Ana", "Pérez", "ana@ejemplo.com")]


@pytest.mark.lento
def test_ejercicio_4_producto_dao_pasa_la_suite_de_contrato(servidor_de_pruebas, tmp_path):
    proyecto = copia_del_proyecto(tmp_path)
    # El pytest de dentro no debe usar ni vaciar el directorio temporal de este.
    entorno = {**os.environ, "PYTEST_ADDOPTS": f"--basetemp={tmp_path / 'pytest'}"}
    assert comprobar(4, raiz=proyecto, entorno=entorno).returncode == 1

    producto = SOLUCIONES / "producto"
    paquete = proyecto / "acceso_datos"
    shutil.copy(producto / "003_producto.sql", paquete / "migraciones")
    shutil.copy(producto / "producto.py", paquete)
    shutil.copy(producto / "producto_dao.py", paquete)
    contrato = proyecto / "tests" / "test_contrato_dao.py"
    texto = contrato.read_text(encoding="utf-8")
    texto = texto.replace("import pytest\n", f"import pytest\n{IMPORTACIONES}", 1)
    texto = texto.replace("\n]\n", f"\n{FICHA}]\n", 1)  # el final de FICHAS
    contrato.write_text(texto, encoding="utf-8")
    resultado = comprobar(4, raiz=proyecto, entorno=entorno)

    assert resultado.returncode == 0, resultado.stdout + resultado.stderr
    assert "la suite de contrato pasa con ProductoDAO" in resultado.stdout
