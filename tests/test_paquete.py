"""La puerta de entrada del paquete: `from acceso_datos import ...` funciona, no arranca
nada al importar, y ningún módulo depende de nombres privados de otro."""

import ast
import pkgutil
import subprocess
import sys

import pytest
from ayudas import RAIZ

import acceso_datos

NOMBRES = ["Conexion", "CursorDelPool", "Persona", "PersonaDAO", "Usuario", "UsuarioDAO"]
MODULOS = sorted(modulo.name for modulo in pkgutil.iter_modules(acceso_datos.__path__))


def _python(codigo: str, **entorno: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", codigo],
        cwd=RAIZ,
        env={"PATH": "/usr/bin:/bin", **entorno},
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_la_puerta_de_entrada_importa_sin_conectar_ni_arrancar_nada(tmp_path):
    embebido = tmp_path / "no_debe_crearse"
    # Un servidor embebido que no debe arrancar y uno configurado al que no se puede llegar.
    for entorno in ({"DB_EMBEDDED_DIR": str(embebido)}, {"DB_HOST": "192.0.2.1"}):
        resultado = _python(
            f"from acceso_datos import {', '.join(NOMBRES)}; print('importado')", **entorno
        )

        assert resultado.returncode == 0, resultado.stderr
        assert resultado.stdout == "importado\n"
        assert resultado.stderr == ""
    assert not embebido.exists()


@pytest.mark.parametrize("nombre", NOMBRES)
def test_la_puerta_de_entrada_y_el_submodulo_dan_el_mismo_objeto(nombre):
    modulo = {"Conexion": "conexion", "CursorDelPool": "cursor_del_pool"}.get(
        nombre, nombre.lower().replace("dao", "_dao")
    )

    submodulo = __import__(f"acceso_datos.{modulo}", fromlist=[nombre])
    assert getattr(acceso_datos, nombre) is getattr(submodulo, nombre)
    assert nombre in acceso_datos.__all__


@pytest.mark.parametrize("modulo", [m for m in MODULOS if m != "__main__"])
def test_cada_modulo_se_importa_el_primero_sin_importaciones_circulares(modulo):
    resultado = _python(f"import acceso_datos.{modulo}")

    assert resultado.returncode == 0, resultado.stderr


def test_ningun_modulo_importa_nombres_privados_de_otro():
    privados = []
    for ruta in sorted((RAIZ / "acceso_datos").glob("*.py")) + sorted(RAIZ.glob("tests/*.py")):
        for nodo in ast.walk(ast.parse(ruta.read_text(encoding="utf-8"))):
            if isinstance(nodo, ast.ImportFrom) and (nodo.module or "").startswith(
                ("acceso_datos", "ayudas", "benchmarks")
            ):
                privados += [
                    f"{ruta.name}: {alias.name}"
                    for alias in nodo.names
                    if alias.name.startswith("_")
                ]

    assert privados == []
