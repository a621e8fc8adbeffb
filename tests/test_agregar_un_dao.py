"""Agregar un DAO como dice docs/agregar-un-dao.md no rompe ningún test del proyecto.

En una copia del proyecto (un directorio temporal) se añade un DAO de usar y tirar con su
migración, su entidad, su ficha en la suite de contrato y su opción en el menú principal,
paso a paso como dice la guía: el código de la guía y el de su solución
(ejercicios/soluciones/producto/), con otro nombre para que valga también donde el alumno
ya hizo el ejercicio 4. Si falta, se añade también la migración del ejercicio 3. Después se
usa la opción nueva del menú y se ejecutan ahí los tests.

No la suite entera: tarda más de tres minutos. Se ejecutan los archivos que miran qué
tablas, columnas, migraciones, DAO, módulos u opciones del menú hay (el esquema, la base
limpia, el README y sus enlaces a líneas, las pantallas y las opciones del menú, los
módulos del paquete, el ejercicio 3) y la suite de contrato del DAO nuevo. Los demás prueban
el pool, la configuración, el servidor o un DAO concreto, que un DAO nuevo no toca.
"""

import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from xml.etree import ElementTree

from ayudas import RAIZ

from ejercicios.soluciones.producto.ficha import FICHA, IMPORTACIONES

GUIA = RAIZ / "docs" / "agregar-un-dao.md"
SOLUCION = RAIZ / "ejercicios" / "soluciones"
LIMITE = 300  # segundos: solo para detectar un cuelgue

SUBCONJUNTO = [
    "tests/test_esquema.py",
    "tests/test_base_limpia.py",
    "tests/test_readme.py",
    "tests/test_pantallas.py",
    "tests/test_contrato_dao.py",
    "tests/test_menu_app_usuario.py",
    "tests/test_paquete.py",
    "tests/test_ejercicios.py",
    "tests/test_menu_desechables.py",  # el test del submenú nuevo, que la guía pide
    "-k",
    # Del contrato, el DAO nuevo; del menú, lo que mira sus opciones; del paquete, los
    # módulos nuevos y los nombres privados; de los ejercicios, el 3 (una migración más).
    "(not test_contrato_dao or DesechableDAO)"
    " and (not test_menu_app_usuario or entrada_mala or opcion_7 or estado_del_pool)"
    " and (not test_paquete or desechable or privados)"
    " and (not test_ejercicios or ejercicio_3)",
]


def desechable(texto: str) -> str:
    """El código del producto de la guía, hecho el de un DAO de usar y tirar."""
    return texto.replace("Producto", "Desechable").replace("producto", "desechable")


def bloques_de_la_guia(lenguaje: str) -> list[str]:
    texto = GUIA.read_text(encoding="utf-8")
    return [
        textwrap.dedent(bloque) for bloque in re.findall(rf"```{lenguaje}\n(.*?)```", texto, re.S)
    ]


def copia_del_proyecto(destino: Path) -> Path:
    ignorar = shutil.ignore_patterns(
        ".venv", ".pgdata", ".git", "__pycache__", ".pytest_cache", ".ruff_cache", "*.log*"
    )
    return Path(shutil.copytree(RAIZ, destino / "proyecto", ignore=ignorar))


def agregar_un_dao_como_dice_la_guia(proyecto: Path) -> int:
    """Los cinco pasos de la guía en la copia; devuelve el número de la opción nueva."""
    paquete = proyecto / "acceso_datos"
    migraciones = paquete / "migraciones"
    assert not list(paquete.glob("*desechable*")), "la copia ya tiene un DAO con ese nombre"
    if not any("telefono" in sql.read_text(encoding="utf-8") for sql in migraciones.glob("*")):
        siguiente = len(list(migraciones.glob("*.sql"))) + 1
        shutil.copy(
            SOLUCION / "003_persona_telefono.sql",
            migraciones / f"{siguiente:03d}_persona_telefono.sql",
        )
    # 1. La migración, con el número siguiente al último.
    sql = bloques_de_la_guia("sql")[0]
    siguiente = len(list(migraciones.glob("*.sql"))) + 1
    (migraciones / f"{siguiente:03d}_desechable.sql").write_text(desechable(sql), "utf-8")
    # 2. La entidad, tal cual está en la guía.
    entidad = bloques_de_la_guia("python")[0]
    assert entidad.startswith('"""La entidad `Producto`')
    (paquete / "desechable.py").write_text(desechable(entidad), "utf-8")
    # 3. El DAO, tomando persona_dao.py como modelo: el de la solución, que la guía resume.
    dao = (SOLUCION / "producto" / "producto_dao.py").read_text(encoding="utf-8")
    for linea in bloques_de_la_guia("python")[1].splitlines():
        assert linea.strip().startswith("#") or linea in dao, f"la guía y el DAO difieren: {linea}"
    (paquete / "desechable_dao.py").write_text(desechable(dao), "utf-8")
    # 4. La ficha, al final de FICHAS, y sus importaciones arriba.
    en_la_guia = {
        linea.strip() for bloque in bloques_de_la_guia("python") for linea in bloque.splitlines()
    }
    assert all(linea.strip() in en_la_guia for linea in FICHA.splitlines()), "¿y la guía?"
    contrato = proyecto / "tests" / "test_contrato_dao.py"
    texto = contrato.read_text(encoding="utf-8")
    texto = texto.replace("import pytest\n", f"import pytest\n{desechable(IMPORTACIONES)}", 1)
    texto = texto.replace("\n]\n", f"\n{desechable(FICHA)}]\n", 1)
    contrato.write_text(texto, encoding="utf-8")
    # 5. El submenú, su test y sus líneas en menu_app_usuario.py, al final: su import junto
    # al de MenuPersonas, su opción tras la última de opciones() y su línea en MENU antes de 0.
    submenu = (SOLUCION / "producto" / "menu_productos.py").read_text(encoding="utf-8")
    (paquete / "menu_desechables.py").write_text(desechable(submenu), "utf-8")
    prueba = (SOLUCION / "producto" / "test_menu_productos.py").read_text(encoding="utf-8")
    (proyecto / "tests" / "test_menu_desechables.py").write_text(desechable(prueba), "utf-8")
    menu = paquete / "menu_app_usuario.py"
    texto = menu.read_text(encoding="utf-8")
    ultima = max(int(numero) for numero in re.findall(r"^(\d+)\) ", texto, re.MULTILINE))
    nueva = ultima + 1
    importar = "        from acceso_datos.menu_personas import MenuPersonas\n"
    opcion = re.compile(rf'^ +"{ultima}": .*,\n', re.MULTILINE)
    assert texto.count(importar) == 1 and len(opcion.findall(texto)) == 1, "¿y la guía?"
    assert texto.count("\n0) Salir") == 1, "¿y la guía?"
    texto = texto.replace(
        importar, f"        from acceso_datos.menu_desechables import MenuDesechables\n{importar}"
    )
    texto = opcion.sub(
        lambda linea: f'{linea[0]}            "{nueva}": MenuDesechables().ejecutar,\n', texto
    )
    texto = texto.replace("\n0) Salir", f"\n{nueva}) Desechables\n0) Salir")
    menu.write_text(texto, encoding="utf-8")
    return nueva


def test_un_dao_nuevo_con_su_migracion_y_su_opcion_en_el_menu_no_rompe_ningun_test(
    base_nueva, tmp_path
):
    proyecto = copia_del_proyecto(tmp_path)
    opcion = agregar_un_dao_como_dice_la_guia(proyecto)
    # Lo que se mide es el código del proyecto, no el de la copia.
    entorno = {
        nombre: valor for nombre, valor in os.environ.items() if not nombre.startswith("COVERAGE_")
    }

    # La opción nueva funciona (con la base nueva de este test, que el menú pone al día).
    menu = subprocess.run(
        [sys.executable, "-m", "acceso_datos"],
        input=f"{opcion}\n2\nCafé\n1,50\n1\n0\n0\n",
        cwd=proyecto, env=entorno, capture_output=True, text=True, timeout=LIMITE,
    )  # fmt: skip
    assert menu.returncode == 0, menu.stdout + menu.stderr
    assert f"{opcion}) Desechables\n0) Salir" in menu.stdout
    assert "Desechable agregado con id 1." in menu.stdout
    assert "     1          1,50  Café\nTotal: 1 desechable." in menu.stdout

    informe = tmp_path / "informe.xml"
    suite = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *SUBCONJUNTO]
        + [f"--junitxml={informe}", f"--basetemp={tmp_path / 'pytest'}"],
        cwd=proyecto, env=entorno, capture_output=True, text=True, timeout=LIMITE,
    )  # fmt: skip

    assert suite.returncode == 0, suite.stdout[-5000:] + suite.stderr[-2000:]
    casos = [
        f"{caso.get('classname')}::{caso.get('name')}"
        for caso in ElementTree.parse(informe).iter("testcase")
    ]
    assert sum("[DesechableDAO" in caso for caso in casos) > 40  # su suite de contrato entera
    assert sum("test_menu_desechables::" in caso for caso in casos) == 2  # y su submenú
    assert len(casos) > 100
