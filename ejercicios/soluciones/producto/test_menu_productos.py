"""El submenú de productos, manejado como lo maneja un alumno: el menú en otro proceso, con
la entrada ya escrita y la base de pruebas real. Va en tests/, junto a test_menu_app_usuario.py."""

import os
import re
import subprocess
from decimal import Decimal

import pytest
from menu_en_proceso import ESPERA, ORDEN, RAIZ

from acceso_datos.menu_app_usuario import MENU
from acceso_datos.producto import Producto
from acceso_datos.producto_dao import ProductoDAO

pytestmark = pytest.mark.usefixtures("base_limpia")

# Su número en el menú principal, sea el que sea: este test no fija cuántas opciones hay.
OPCION = re.search(r"^(\d+)\) Productos$", MENU, re.MULTILINE)[1]


def usar_el_submenu(*lineas: str) -> str:
    """Entra en el submenú, escribe las líneas, vuelve y sale; devuelve lo que se vio."""
    entrada = "".join(f"{linea}\n" for linea in (OPCION, *lineas, "0", "0"))
    menu = subprocess.run(
        ORDEN, input=entrada, capture_output=True, text=True, cwd=RAIZ, env=os.environ,
        timeout=ESPERA,
    )  # fmt: skip
    assert menu.returncode == 0, menu.stdout + menu.stderr
    assert "Traceback" not in menu.stdout + menu.stderr
    return menu.stdout


def test_agrega_lista_modifica_y_elimina_productos():
    pantalla = usar_el_submenu(
        "1",
        *("2", "Café", "1,50"),
        *("2", "Té", "2.75"),
        "1",
        *("3", "1", "Café solo", "1,60"),
        *("3", "99"),
        *("4", "2", "n"),
        *("4", "2", "s"),
    )

    assert "No hay productos registrados." in pantalla
    assert "Producto agregado con id 1." in pantalla
    assert "     1          1,50  Café\n     2          2,75  Té\nTotal: 2 productos." in pantalla
    assert "Producto actual: Café, 1,50" in pantalla
    assert "Producto 1 modificado." in pantalla
    assert "No existe ningún producto con id 99." in pantalla
    assert "No se eliminó nada." in pantalla
    assert "Producto 2 eliminado." in pantalla
    assert ProductoDAO.seleccionar() == [Producto(1, "Café solo", Decimal("1.60"))]


def test_cada_dato_se_valida_al_escribirlo():
    pantalla = usar_el_submenu(*("2", " "), *("2", "Café", "gratis"), *("2", "Café", "1,999"))

    assert "Dato no válido: El campo nombre no puede estar en blanco." in pantalla
    assert "El campo precio debe ser un número, como 9,99 (escribió 'gratis')." in pantalla
    assert "El campo precio admite como mucho 2 decimales (es 1,999)." in pantalla
    assert ProductoDAO.contar() == 0
