"""Todo lo que se ve en pantalla, en español: sin palabras en inglés, sin «1 conexiones» y
con coma decimal. La demostración se comprueba en test_demo_pool.py, y el menú con el
servidor parado, en test_menu_app_usuario.py, con la misma `problemas_de_idioma`."""

import os
import subprocess

import pytest
from ayudas import problemas_de_idioma
from menu_en_proceso import ESPERA, ORDEN, RAIZ


@pytest.mark.parametrize(
    "texto",
    [
        "Username: ",
        "    ID  USERNAME",
        "El campo password debe tener entre 8 y 128 caracteres",
        "Elija otro email.",
        "Pool cerrado: 1 conexiones cerradas",
        "Total: 1 usuarios.",
        "PoolAgotadoError tras 2.0 s",
        "connection to server failed: Connection refused",
    ],
)
def test_problemas_de_idioma_encuentra_ingles_plurales_y_puntos_decimales(texto):
    assert problemas_de_idioma(texto) != []


@pytest.mark.parametrize(
    "texto",
    [
        "Nombre de usuario: ",
        "Total: 1 usuario.\nTotal: 2 usuarios.",
        "  getconn() 6: PoolError tras 0,00 s: «connection pool exhausted»",
        "No se pudo conectar a PostgreSQL en 127.0.0.1:5432",
        "aumente DB_POOL_MAX o DB_POOL_TIMEOUT; use `with CursorDelPool()`",
        "Pool de conexiones (Conexion.estadisticas()):",
        "en uso 1, libres 0, esperando 0",
    ],
)
def test_problemas_de_idioma_deja_pasar_el_espanol_y_los_nombres_de_codigo(texto):
    assert problemas_de_idioma(texto) == []


# Cada pantalla del menú, también las de error: (líneas escritas, algo de la respuesta).
RECORRIDO = [
    (["1"], "No hay usuarios registrados."),
    (["2", "ana", "clave-de-ana"], "Usuario agregado con id 1."),
    (["2", "ana", "clave-de-ana"], "Ya existe un usuario con nombre de usuario 'ana'."),
    (["2", "   "], "El campo nombre de usuario no puede estar en blanco."),
    (["2", "bea", "corta"], "El campo contraseña debe tener entre 8 y 128 caracteres"),
    (["2", "b" * 51], "El campo nombre de usuario tiene 51 caracteres"),
    (["1"], "Total: 1 usuario."),
    (["3", "abc"], "El id debe ser un número entero positivo"),
    (["3", "99"], "No existe ningún usuario con id 99."),
    (["3", "1", "", ""], "Sin cambios."),
    (["3", "1", "ana_maria", ""], "Usuario 1 modificado."),
    (["4", "99"], "No existe ningún usuario con id 99."),
    (["4", "1", "si"], "No se eliminó nada: solo 's' confirma"),
    (["4", "1", "n"], "No se eliminó nada."),
    (["5", "ana_maria", "clave-de-ana"], "Credenciales válidas: bienvenido, ana_maria."),
    (["5", "ana_maria", "clave-mala"], "Nombre de usuario o contraseña incorrectos."),
    (["6"], "Conexiones con la base de datos: 1 abierta"),
    (["99"], "Opción no válida: '99'."),
    (["7", "1"], "No hay personas registradas."),
    (["2", "Ana", "Pérez", "ana@ejemplo.com"], "Persona agregada con id 1."),
    (["2", "Eva", "Ruiz", "ana@ejemplo.com"], "Ya existe una persona con correo electrónico"),
    (["2", "Eva", "Ruiz", "sin-arroba"], "El campo correo electrónico debe tener la forma"),
    (["2", " "], "El campo nombre no puede estar en blanco."),
    (["1"], "Total: 1 persona."),
    (["3", "1", "", "", ""], "Sin cambios."),
    (["3", "1", "Anita", "", ""], "Persona 1 modificada."),
    (["3", "abc"], "El id debe ser un número entero positivo"),
    (["4", "99"], "No existe ninguna persona con id 99."),
    (["4", "1", "n"], "No se eliminó nada."),
    (["4", "1", "s"], "Persona 1 eliminada."),
    (["9"], "Opción no válida: '9'."),
    (["0", "4", "1", "s"], "Usuario 1 eliminado."),
]


@pytest.mark.usefixtures("base_limpia")
def test_cada_pantalla_del_menu_esta_en_espanol():
    entrada = "".join(f"{linea}\n" for lineas, _ in RECORRIDO for linea in lineas) + "0\n"

    proceso = subprocess.run(
        ORDEN, input=entrada, capture_output=True, text=True, cwd=RAIZ, env=os.environ,
        timeout=ESPERA,
    )  # fmt: skip

    pantalla = proceso.stdout + proceso.stderr
    assert proceso.returncode == 0, pantalla
    for _, esperado in RECORRIDO:
        assert esperado in proceso.stdout, esperado
    assert problemas_de_idioma(pantalla) == []
