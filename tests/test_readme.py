"""El README dice la verdad: sus enlaces a líneas del código, sus archivos, sus órdenes
`make` y su ejemplo de Python, que funciona en una base recién creada."""

import re
import subprocess
import sys

import pytest
from ayudas import RAIZ
from menu_en_proceso import ESPERA, ORDEN

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


def ejecutar_el_ejemplo() -> subprocess.CompletedProcess:
    """El primer ejemplo de Python del README, el de arriba, en otro proceso."""
    texto = README.read_text(encoding="utf-8")
    ejemplo = re.search(r"```python\n(.*?)```", texto, re.DOTALL)[1]
    return subprocess.run(
        [sys.executable, "-c", ejemplo], cwd=RAIZ, capture_output=True, text=True, timeout=60
    )


def test_el_ejemplo_de_python_del_readme_es_de_usuarios_y_funciona_en_una_base_nueva(base_nueva):
    resultado = ejecutar_el_ejemplo()

    assert resultado.returncode == 0, resultado.stderr
    # El laboratorio es de usuarios: su primer ejemplo, también.
    assert "[Usuario(id_usuario=1, username='bea')]" in resultado.stdout


# Lo que el menú pregunta; en la sesión del README, la respuesta va detrás, en la misma línea
# (salvo la contraseña, que no se ve).
_PREGUNTAS = re.compile(
    r"(?:Opción|Nombre de usuario|Contraseña \([^)]*\)|Id del usuario a eliminar"
    r"|¿Confirma\? \(s/n\)|Nombre|Apellido|Correo electrónico): ?"
)


def sesion_del_readme() -> tuple[str, list[str]]:
    """Lo que se escribe en la sesión de ejemplo del README (las contraseñas no se ven: una
    buena, o una mala si la línea siguiente dice que no vale) y las líneas que contesta el
    menú, desde el menú principal."""
    texto = README.read_text(encoding="utf-8")
    sesion = re.search(r"```text\n\$ make run\n(.*?)```", texto, re.DOTALL)[1].splitlines()
    sesion = sesion[sesion.index("--- Usuarios ---") :]
    entrada, contestado = [], []
    for numero, linea in enumerate(sesion):
        if linea.startswith("Contraseña"):
            mala = "incorrectos" in sesion[numero + 1]
            entrada.append("clave-que-no-es" if mala else "clave-de-la-sesion")
        elif _PREGUNTAS.match(linea):  # desde el principio de la línea
            entrada.append(linea.split(": ", 1)[1])
        else:
            contestado.append(linea)
    return "".join(f"{linea}\n" for linea in entrada), contestado


def test_la_sesion_del_readme_es_la_que_da_el_menu_y_despues_el_ejemplo_funciona(base_nueva):
    entrada, contestado = sesion_del_readme()

    menu = subprocess.run(
        ORDEN, input=entrada, capture_output=True, text=True, cwd=RAIZ, timeout=ESPERA
    )

    assert menu.returncode == 0, menu.stdout + menu.stderr
    # Por una tubería, lo escrito no se ve: cada pregunta queda seguida de la respuesta.
    lineas = _PREGUNTAS.sub("\n", menu.stdout).splitlines()
    for linea in contestado:
        assert linea in lineas, f"el menú no dice {linea!r}"
    # Y el ejemplo de arriba, después: sin chocar con lo que la sesión creó.
    ejemplo = ejecutar_el_ejemplo()
    assert ejemplo.returncode == 0, ejemplo.stderr
    otra_vez = ejecutar_el_ejemplo()  # el README dice que la segunda vez falla, y por qué
    assert otra_vez.returncode == 1
    assert "RegistroDuplicadoError: Ya existe un usuario con nombre de usuario 'bea'" in (
        otra_vez.stderr
    )
