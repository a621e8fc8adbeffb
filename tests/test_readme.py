"""El README dice la verdad: sus enlaces a líneas del código, sus archivos, sus órdenes
`make` y su ejemplo de Python, que funciona en una base recién creada."""

import re
import subprocess
import sys

import pytest
from ayudas import RAIZ

README = RAIZ / "README.md"
DOCUMENTOS = [
    README,
    *sorted((RAIZ / "docs").glob("*.md")),
    RAIZ / "benchmarks" / "README.md",
    RAIZ / "ejercicios" / "README.md",
]

# [`archivo.py`, `def agregar`](acceso_datos/menu_app_usuario.py#L83): el último texto
# entre comillas invertidas del enlace debe estar en esa línea.
_ENLACE_A_LINEA = re.compile(r"\[([^\]]*)\]\(([^)#]+)#L(\d+)\)")
_ENLACE = re.compile(r"\]\(([^)#]*)(?:#([^)]*))?\)")


def _ancla(titulo: str) -> str:
    """El ancla que GitHub da a un título: minúsculas, sin signos, espacios como guiones."""
    return re.sub(r"[^\w\- ]", "", titulo.strip().lower()).replace(" ", "-")


def _anclas(documento) -> set[str]:
    texto = re.sub(r"```.*?```", "", documento.read_text(encoding="utf-8"), flags=re.DOTALL)
    return {_ancla(titulo) for titulo in re.findall(r"^#+ (.*)$", texto, re.MULTILINE)}


def _enlaces_a_lineas() -> list[tuple[str, str, int]]:
    texto = README.read_text(encoding="utf-8")
    return [
        (re.findall(r"`([^`]+)`", etiqueta)[-1], ruta, int(linea))
        for etiqueta, ruta, linea in _ENLACE_A_LINEA.findall(texto)
    ]


def test_el_readme_lleva_el_camino_de_estudio_con_enlaces_a_lineas():
    assert "## Cómo estudiar este laboratorio" in README.read_text(encoding="utf-8")
    assert len(_enlaces_a_lineas()) >= 5


@pytest.mark.parametrize(("buscado", "ruta", "linea"), _enlaces_a_lineas())
def test_cada_enlace_a_una_linea_apunta_a_lo_que_dice(buscado, ruta, linea):
    lineas = (RAIZ / ruta).read_text(encoding="utf-8").splitlines()
    assert buscado in lineas[linea - 1], f"{ruta}#L{linea} no dice {buscado!r}"


@pytest.mark.parametrize("documento", DOCUMENTOS, ids=lambda ruta: str(ruta.relative_to(RAIZ)))
def test_los_enlaces_llevan_a_archivos_y_titulos_que_existen(documento):
    for ruta, ancla in _ENLACE.findall(documento.read_text(encoding="utf-8")):
        if ruta.startswith(("http://", "https://", "mailto:")):
            continue
        destino = documento.parent / ruta if ruta else documento
        assert destino.exists(), f"{documento.name}: {ruta}"
        if ancla and destino.suffix == ".md":
            assert ancla in _anclas(destino), f"{documento.name}: {ruta}#{ancla}"


def test_el_readme_es_corto_y_enlaza_cada_documento():
    texto = README.read_text(encoding="utf-8")
    assert len(texto.splitlines()) < 350  # el resto va a docs/
    for documento in (RAIZ / "docs").glob("*.md"):
        assert f"](docs/{documento.name})" in texto, documento.name


def test_cada_orden_make_del_readme_existe():
    objetivos = set(re.findall(r"^([a-z]+):", (RAIZ / "Makefile").read_text(), re.MULTILINE))
    for documento in DOCUMENTOS:
        for orden in re.findall(r"\bmake ([a-z]+)\b", documento.read_text(encoding="utf-8")):
            assert orden in objetivos, f"{documento.name}: make {orden}"


def test_el_ejemplo_de_python_del_readme_funciona_en_una_base_nueva(base_nueva):
    texto = README.read_text(encoding="utf-8")
    ejemplo = re.search(r"```python\n(.*?)```", texto, re.DOTALL)[1]  # el primero, arriba

    resultado = subprocess.run(
        [sys.executable, "-c", ejemplo], cwd=RAIZ, capture_output=True, text=True, timeout=60
    )

    assert resultado.returncode == 0, resultado.stderr
    assert "Persona(id_persona=1, nombre='Ana', apellido='Pérez'" in resultado.stdout
