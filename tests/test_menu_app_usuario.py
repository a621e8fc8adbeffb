"""El menú de consola (`python -m acceso_datos`), manejado como lo maneja un alumno o un programa:
en otro proceso, con la entrada por una tubería (o una terminal) y la base de pruebas real."""

import os
import pty
import re
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest
from ayudas import directorio_fuera_de_pytest, problemas_de_idioma
from menu_en_proceso import (
    ESPERA,
    ORDEN,
    ORDEN_SIN_REVISAR_OCIOSAS,
    PROMPT,
    RAIZ,
    Conversacion,
    esperar_a_que_lea,
    menu_interactivo,
)

from acceso_datos.configuracion import Configuracion
from acceso_datos.cursor_del_pool import CursorDelPool
from acceso_datos.menu_app_usuario import MENU
from acceso_datos.menu_personas import MENU_PERSONAS
from acceso_datos.persona import Persona
from acceso_datos.persona_dao import PersonaDAO
from acceso_datos.servidor_embebido import ServidorEmbebido, crear_base_si_falta
from acceso_datos.usuario import Usuario
from acceso_datos.usuario_dao import UsuarioDAO

pytestmark = pytest.mark.usefixtures("base_limpia")

PREGUNTA_PAGINA = "Enter: página siguiente · q: volver al menú "
SQL_EN_USERNAME = "x'; DROP TABLE usuario; --"
CORREO = "correo electrónico"


class Resultado(NamedTuple):
    estado: int
    salida: str
    errores: str


def ejecutar_menu(entrada: str | bytes, entorno: dict[str, str] | None = None) -> Resultado:
    """Ejecuta el menú con la entrada ya escrita (como un archivo) y espera a que termine."""
    if isinstance(entrada, str):
        entrada = entrada.encode()
    proceso = subprocess.run(
        ORDEN,
        input=entrada,
        capture_output=True,
        cwd=RAIZ,
        env=os.environ if entorno is None else entorno,
        timeout=ESPERA,
    )
    return Resultado(proceso.returncode, proceso.stdout.decode(), proceso.stderr.decode())


def guion(pasos) -> str:
    """Las líneas de entrada de todos los pasos, seguidas de 0 (Salir)."""
    return "".join(f"{linea}\n" for lineas, _ in pasos for linea in lineas) + "0\n"


def respuestas(salida: str) -> list[str]:
    """Lo que el menú contestó a cada opción, sin el menú que vuelve a mostrar después."""
    return [
        trozo.removesuffix(MENU + "\n").removesuffix(MENU_PERSONAS + "\n")
        for trozo in salida.split(PROMPT)[1:]
    ]


def comprobar_pasos(pasos, resultado: Resultado) -> None:
    """Cada paso (líneas escritas, texto esperado) recibió su respuesta, y salió limpio."""
    assert resultado.estado == 0, resultado.salida + resultado.errores
    assert "Traceback" not in resultado.salida + resultado.errores, resultado.errores
    contestado = respuestas(resultado.salida)
    assert len(contestado) == len(pasos) + 1, resultado.salida
    for (lineas, esperado), respuesta in zip(pasos, contestado, strict=False):
        assert esperado in respuesta, f"tras escribir {lineas!r} se esperaba {esperado!r}"
    assert contestado[-1] == "Hasta luego.\n"


def filas_de_la_tabla() -> list[tuple]:
    with CursorDelPool() as cursor:
        cursor.execute("SELECT id_usuario, username, password FROM usuario ORDER BY id_usuario")
        return cursor.fetchall()


def agregar(username: str, password: str) -> int:
    usuario = Usuario(username=username, password=password)
    UsuarioDAO.insertar(usuario)
    return usuario.id_usuario


def insertar_sin_hash(cantidad: int) -> None:
    """Muchos usuarios de golpe: para listar no hace falta un hash de verdad."""
    with CursorDelPool() as cursor:
        cursor.executemany(
            "INSERT INTO usuario (username, password) VALUES (%s, %s)",
            [(f"usuario{numero:02d}", "sin-hash") for numero in range(1, cantidad + 1)],
        )


def paginas(respuesta: str) -> list[list[int]]:
    """Los ids de cada página de un listado."""
    return [
        [int(id_usuario) for id_usuario in re.findall(r"^ *(\d+)  \S", trozo, re.MULTILINE)]
        for trozo in respuesta.split(PREGUNTA_PAGINA)
    ]


# --- sesiones escritas de antemano ----------------------------------------------------------------


def test_sesion_completa_agrega_lista_inicia_sesion_modifica_y_elimina():
    pasos = [
        (["2", "ana", "clave-de-ana"], "Usuario agregado con id 1."),
        (["2", "bruno", "clave-de-bruno"], "Usuario agregado con id 2."),
        (["1"], "     1  ana\n     2  bruno\nTotal: 2 usuarios.\n"),
        (["5", "ana", "clave-de-ana"], "Credenciales válidas: bienvenido, ana."),
        (["5", "ana", "clave-equivocada"], "Nombre de usuario o contraseña incorrectos."),
        (["3", "1", "ana_maria", ""], "Usuario actual: ana"),
        (["5", "ana_maria", "clave-de-ana"], "Credenciales válidas: bienvenido, ana_maria."),
        (["3", "2", "", "clave-nueva-de-bruno"], "Usuario 2 modificado."),
        (["5", "bruno", "clave-nueva-de-bruno"], "Credenciales válidas: bienvenido, bruno."),
        (["5", "bruno", "clave-de-bruno"], "Nombre de usuario o contraseña incorrectos."),
        (["4", "1", "n"], "Se eliminará: Usuario 1: ana_maria"),
        (["4", "1", "s"], "Usuario 1 eliminado."),
    ]

    resultado = ejecutar_menu(guion(pasos))

    comprobar_pasos(pasos, resultado)
    contestado = respuestas(resultado.salida)
    assert "Usuario 1 modificado." in contestado[5]
    assert contestado[10].endswith("No se eliminó nada.\n")
    assert UsuarioDAO.seleccionar() == [Usuario(2, "bruno")]
    assert UsuarioDAO.autenticar("bruno", "clave-nueva-de-bruno") == Usuario(2, "bruno")
    assert UsuarioDAO.autenticar("bruno", "clave-de-bruno") is None


def test_opcion_7_personas_agrega_lista_modifica_y_elimina_y_vuelve_al_menu():
    # respuestas() quita el menú que se muestra tras cada opción: entrar en el submenú (7) y
    # volver (0) no contestan nada más; lo que viene después prueba dónde se está.
    pasos = [
        (["7"], ""),
        (["2", "Ana", "Pérez", "ana@ejemplo.com"], "Persona agregada con id 1."),
        (["2", "Luis", "Gómez", "luis@ejemplo.com"], "Persona agregada con id 2."),
        (["1"], "     1  Ana Pérez <ana@ejemplo.com>\n     2  Luis Gómez <luis@ejemplo.com>\n"),
        (["3", "1", "", "Pérez López", ""], "Persona actual: Ana Pérez <ana@ejemplo.com>"),
        (["3", "2", "", "", ""], "Sin cambios."),
        (["4", "2", "n"], "No se eliminó nada."),
        (["4", "2", "s"], "Persona 2 eliminada."),
        (["0"], ""),
        (["1"], "No hay usuarios registrados."),  # de vuelta en el menú principal
    ]

    resultado = ejecutar_menu(guion(pasos))

    comprobar_pasos(pasos, resultado)
    assert resultado.salida.count(MENU_PERSONAS) == 8  # al entrar y tras cada opción
    assert "Persona 1 modificada." in respuestas(resultado.salida)[4]
    assert "Total: 2 personas." in respuestas(resultado.salida)[3]
    assert PersonaDAO.seleccionar() == [Persona(1, "Ana", "Pérez López", "ana@ejemplo.com")]


def test_en_personas_la_entrada_mala_se_explica_y_no_cambia_nada():
    PersonaDAO.insertar(Persona(None, "Ana", "Pérez", "ana@ejemplo.com"))
    antes = PersonaDAO.seleccionar()
    pasos = [
        (["7"], ""),
        (["9"], "Opción no válida: '9'. Escriba un número del 0 al 4."),
        (["2", "   "], "Dato no válido: El campo nombre no puede"),  # sin más preguntas
        (["2", "Eva", "Ruiz", "eva ruiz@x.es"], f"El campo {CORREO} no puede contener espacios"),
        (["2", "Eva", "Ruiz", "sin-arroba"], f"El campo {CORREO} debe tener la forma nombre@"),
        (
            ["2", "Eva", "Ruiz", "ana@ejemplo.com"],
            f"No se guardó: Ya existe una persona con {CORREO} 'ana@ejemplo.com'. "
            f"Elija otro {CORREO}.",
        ),
        (["3", "abc"], "El id debe ser un número entero positivo (escribió 'abc')."),
        (["3", "99"], "No existe ninguna persona con id 99."),
        (["3", "1", "", "", "mal"], f"El campo {CORREO} debe tener la forma nombre@dominio"),
        (["4", "99"], "No existe ninguna persona con id 99."),
        (["4", "1", "si"], "No se eliminó nada: solo 's' confirma (respondió 'si')."),
        (["0"], ""),
    ]

    resultado = ejecutar_menu(guion(pasos))

    comprobar_pasos(pasos, resultado)
    assert PersonaDAO.seleccionar() == antes


@pytest.mark.parametrize(
    ("lineas", "error", "no_preguntada"),
    [
        pytest.param(
            ["2", "   "], "El campo nombre no puede estar en blanco.", "Apellido", id="nombre"
        ),
        pytest.param(
            ["2", "Eva", ""], "El campo apellido no puede estar en blanco.", "Correo", id="apellido"
        ),
        pytest.param(
            ["3", "1", "x" * 51],
            "El campo nombre tiene 51 caracteres",
            "Nuevo apellido",
            id="modificar",
        ),
        pytest.param(
            ["3", "1", "", " "],
            "El campo apellido no puede estar en blanco.",
            "Nuevo correo",
            id="modificar_apellido",
        ),
    ],
)
def test_en_personas_cada_dato_se_valida_al_escribirlo(lineas, error, no_preguntada):
    PersonaDAO.insertar(Persona(None, "Ana", "Pérez", "ana@ejemplo.com"))
    antes = PersonaDAO.seleccionar()
    # Como en el menú de usuarios: lo siguiente que se escribe es una opción del submenú,
    # no la respuesta a otra pregunta.
    pasos = [
        (["7"], ""),
        (lineas, f"Dato no válido: {error}"),
        (["1"], "     1  Ana Pérez <ana@ejemplo.com>\nTotal: 1 persona."),
        (["0"], ""),
    ]

    resultado = ejecutar_menu(guion(pasos))

    comprobar_pasos(pasos, resultado)
    assert no_preguntada not in respuestas(resultado.salida)[1]
    assert PersonaDAO.seleccionar() == antes


def test_en_personas_el_listado_va_de_veinte_en_veinte():
    for numero in range(1, 26):
        PersonaDAO.insertar(Persona(None, "Ana", f"P{numero}", f"ana{numero}@ejemplo.com"))

    resultado = ejecutar_menu("7\n1\n\n0\n0\n")

    _, listado, _, salir = respuestas(resultado.salida)
    assert paginas(listado) == [list(range(1, 21)), list(range(21, 26))]
    assert listado.endswith("Total: 25 personas.\n")
    assert salir == "Hasta luego.\n"


def test_fin_de_entrada_dentro_de_personas_sale_con_0():
    resultado = ejecutar_menu("7\n2\nAna\n")

    assert resultado.estado == 0, resultado.errores
    assert resultado.salida.endswith("\nFin de la entrada.\nHasta luego.\n")
    assert PersonaDAO.contar() == 0


def test_lista_de_veinte_en_veinte_y_solo_pregunta_si_quedan_filas():
    insertar_sin_hash(45)

    # Primero recorre las tres páginas con Enter; después vuelve al menú con q.
    resultado = ejecutar_menu("1\n\n\n1\nq\n0\n")

    assert resultado.estado == 0, resultado.errores
    completo, con_q, salir = respuestas(resultado.salida)
    assert paginas(completo) == [
        list(range(1, 21)),
        list(range(21, 41)),
        list(range(41, 46)),
    ]
    assert completo.count(PREGUNTA_PAGINA) == 2
    assert completo.endswith("Total: 45 usuarios.\n")
    assert paginas(con_q) == [list(range(1, 21)), []]
    assert "Total" not in con_q
    assert salir == "Hasta luego.\n"


def test_con_justo_veinte_usuarios_no_pregunta_por_otra_pagina():
    insertar_sin_hash(20)

    # Si preguntara por otra página, se comería el 0 y la entrada acabaría sin salir.
    resultado = ejecutar_menu("1\n0\n")

    listado, salir = respuestas(resultado.salida)
    assert paginas(listado) == [list(range(1, 21))]
    assert PREGUNTA_PAGINA not in listado
    assert salir == "Hasta luego.\n"


def test_tabla_vacia_dice_que_no_hay_usuarios():
    resultado = ejecutar_menu("1\n0\n")

    assert resultado.estado == 0
    assert respuestas(resultado.salida)[0] == (
        "No hay usuarios registrados. Use la opción 2 para agregar uno.\n"
    )


def test_entrada_mala_se_explica_y_la_tabla_solo_cambia_en_lo_agregado_a_proposito():
    agregar("ana", "clave-de-ana")
    agregar("bruno", "clave-de-bruno")
    antes = filas_de_la_tabla()
    pasos = [
        # Cuántas opciones hay no es cosa de este test: un submenú nuevo añade una.
        (["99"], "Opción no válida: '99'. Escriba un número del 0 al "),
        (["hola"], "Opción no válida: 'hola'."),
        ([""], "Opción no válida: ''."),
        (["3", "abc"], "El id debe ser un número entero positivo (escribió 'abc')."),
        (["4", "uno"], "El id debe ser un número entero positivo (escribió 'uno')."),
        (["4", "-1"], "(escribió '-1')."),
        (["3", "²"], "(escribió '²')."),
        (["3", "999"], "No existe ningún usuario con id 999."),
        (["4", "999"], "No existe ningún usuario con id 999."),
        (["2", "   "], "El campo nombre de usuario no puede estar en blanco."),
        (["2", "x" * 51], "tiene 51 caracteres; el máximo es 50."),
        (["2", "carla", "corta"], "debe tener entre 8 y 128 caracteres (tiene 5)."),
        (["2", "ana", "clave-valida-1"], "No se guardó: Ya existe un usuario con nombre de"),
        (["3", "1", "bruno", ""], "Ya existe un usuario con nombre de usuario 'bruno'."),
        (["3", "1", "   "], "El campo nombre de usuario no puede estar en blanco."),
        (["3", "1", "", "corta"], "(tiene 5)."),
        (["3", "1", "", ""], "Sin cambios."),
        (["4", "2", "si"], "No se eliminó nada: solo 's' confirma (respondió 'si')."),
        (["2", SQL_EN_USERNAME, "clave-valida-1"], "Usuario agregado con id "),
    ]

    resultado = ejecutar_menu(guion(pasos))

    comprobar_pasos(pasos, resultado)
    nuevo_id = int(re.search(r"Usuario agregado con id (\d+)\.", resultado.salida)[1])
    despues = filas_de_la_tabla()
    assert despues[:-1] == antes
    assert despues[-1][:2] == (nuevo_id, SQL_EN_USERNAME)
    assert UsuarioDAO.autenticar(SQL_EN_USERNAME, "clave-valida-1") is not None


@pytest.mark.parametrize(
    ("lineas", "tras_el_listado"),
    [
        pytest.param(["2", "   "], "No hay usuarios registrados.", id="agregar"),
        pytest.param(["3", "1", "   "], "     1  ana\n", id="modificar"),
    ],
)
def test_username_no_valido_se_rechaza_antes_de_pedir_la_contrasena(lineas, tras_el_listado):
    if lineas[0] == "3":
        agregar("ana", "clave-de-ana")
    antes = filas_de_la_tabla()
    # Lo siguiente que escribe el alumno es una opción del menú, no una contraseña.
    pasos = [
        (lineas, "El campo nombre de usuario no puede estar en blanco."),
        (["1"], tras_el_listado),
    ]

    resultado = ejecutar_menu(guion(pasos))

    comprobar_pasos(pasos, resultado)
    assert "Contraseña" not in respuestas(resultado.salida)[0]
    assert filas_de_la_tabla() == antes


def test_un_guion_que_no_es_utf8_se_explica_sin_romper_el_menu():
    # PYTHONIOENCODING estricto imita la terminal de un alumno con locale es_ES.UTF-8.
    entorno = {**os.environ, "PYTHONIOENCODING": "utf-8:strict"}

    resultado = ejecutar_menu("2\nJosé\n9\n".encode("latin-1"), entorno)

    assert resultado.estado == 0, resultado.errores
    assert "Traceback" not in resultado.errores
    agregado, opcion, _ = respuestas(resultado.salida)
    assert "no son texto Unicode válido" in agregado
    assert "Opción no válida: '9'" in opcion  # el menú siguió leyendo
    assert "Fin de la entrada." in resultado.salida
    assert filas_de_la_tabla() == []


@pytest.mark.parametrize(
    "entrada",
    [
        pytest.param("2\ncarla\n", id="antes_de_la_contrasena_al_agregar"),
        pytest.param("3\n1\nana_maria\n", id="antes_de_la_contrasena_al_modificar"),
        pytest.param("4\n1\n", id="antes_de_confirmar_el_borrado"),
        pytest.param("1\n", id="tras_el_listado_sin_elegir_opcion"),
    ],
)
def test_fin_de_entrada_a_mitad_sale_con_0_sin_dejar_nada_a_medias(entrada):
    agregar("ana", "clave-de-ana")
    antes = filas_de_la_tabla()

    resultado = ejecutar_menu(entrada)

    assert resultado.estado == 0, resultado.errores
    assert "Traceback" not in resultado.salida + resultado.errores
    assert resultado.salida.endswith("\nFin de la entrada.\nHasta luego.\n")
    assert filas_de_la_tabla() == antes


def test_estado_del_pool_dice_en_palabras_las_conexiones_abiertas_libres_y_en_uso():
    entorno = {**os.environ, "DB_POOL_MIN": "2", "DB_POOL_MAX": "4"}

    resultado = ejecutar_menu("6\n0\n", entorno)

    estado = respuestas(resultado.salida)[0]
    assert estado.startswith(
        "Conexiones con la base de datos: 2 abiertas "
        "(el pool mantiene al menos 2 y abre hasta 4).\n"
    )
    contadores = dict(re.findall(r"^(\w+(?: \w+)?) +(\d+)  \S", estado, re.MULTILINE))
    assert contadores == {"libres": "2", "en uso": "0"}
    # Sin código (Conexion.estadisticas()) ni hilos que esperan: el menú es de un solo hilo.
    assert "Conexion." not in estado and "estadisticas" not in estado
    assert "esperando" not in estado and "hilo" not in estado
    assert problemas_de_idioma(estado) == []


def test_el_listado_explica_los_ids_que_faltan_solo_si_faltan():
    pasos = [
        (["2", "ana", "clave-de-ana"], "Usuario agregado con id 1."),
        (["1"], "     1  ana\nTotal: 1 usuario.\n"),
        (["2", "ana", "clave-de-ana"], "Ya existe un usuario con nombre de usuario 'ana'."),
        (["2", "bea", "clave-de-bea"], "Usuario agregado con id 3."),  # el 2 lo gastó el fallo
        (
            ["1"],
            "     1  ana\n     3  bea\nTotal: 2 usuarios.\nLos ids que faltan no se reutilizan",
        ),
    ]

    resultado = ejecutar_menu(guion(pasos))

    comprobar_pasos(pasos, resultado)
    assert "ids" not in respuestas(resultado.salida)[1]


def test_con_replicas_el_estado_del_pool_muestra_tambien_el_de_las_lecturas():
    # Basta con configurarlas: el pool de las réplicas no conecta hasta la primera lectura.
    replica = f"{os.environ['DB_HOST']}:{os.environ['DB_PORT']}"
    entorno = {**os.environ, "DB_REPLICAS": replica, "DB_REPLICAS_POOL_MAX": "3"}

    resultado = ejecutar_menu("6\n0\n", entorno)

    estado = respuestas(resultado.salida)[0]
    primario, replicas = estado.split("Conexiones con las réplicas, para las lecturas: ")
    contadores = dict(re.findall(r"^(\w+) +(\d+)  \S", replicas, re.MULTILINE))
    assert "Conexiones con la base de datos:" in primario
    assert replicas.startswith("0 abiertas (hasta 3, DB_REPLICAS_POOL_MAX).")
    assert contadores == {"réplica": "0", "primario": "0"}
    assert problemas_de_idioma(estado) == []


def test_las_contrasenas_no_aparecen_ni_en_la_salida_ni_en_el_log(tmp_path):
    log = tmp_path / "menu.log"
    unica = uuid.uuid4().hex
    buena, mala, nueva = f"buena-{unica}", f"mala-{unica}", f"nueva-{unica}"
    corta, larga = unica[:7], "L" * 100 + unica
    pasos = [
        (["2", "ana", buena], "Usuario agregado con id 1."),
        (["2", "bruno", corta], "(tiene 7)."),
        (["2", "bruno", larga], "(tiene 132)."),
        (["2", "ana", mala], "Ya existe un usuario con nombre de usuario 'ana'."),
        (["5", "ana", buena], "Credenciales válidas"),
        (["5", "ana", mala], "Nombre de usuario o contraseña incorrectos."),
        (["5", "nadie", mala], "Nombre de usuario o contraseña incorrectos."),
        (["3", "1", "", nueva], "Usuario 1 modificado."),
        (["3", "1", "", corta], "(tiene 7)."),
    ]

    resultado = ejecutar_menu(guion(pasos), {**os.environ, "LOG_FILE": str(log)})

    comprobar_pasos(pasos, resultado)
    registro = log.read_text(encoding="utf-8")
    assert "Conexión prestada" in registro  # el log a nivel DEBUG sí recogió la sesión
    for password in (buena, mala, nueva, corta, larga):
        assert password not in resultado.salida
        assert password not in resultado.errores
        assert password not in registro


# --- sesiones interactivas: paso a paso, por tubería o por terminal --------------------


@pytest.mark.parametrize(
    ("lineas", "pregunta"),
    [
        pytest.param([], None, id="en_el_menu"),
        pytest.param(["2", "carla"], "no se ve al escribir): ", id="a_mitad_de_agregar"),
    ],
)
def test_ctrl_c_sale_limpio_con_estado_0(tmp_path, lineas, pregunta):
    with menu_interactivo(os.environ, tmp_path / "errores.txt") as (proceso, menu):
        menu.esperar(PROMPT)
        if lineas:
            menu.escribir(*lineas)
            menu.esperar(pregunta)
        esperar_a_que_lea(proceso.pid)

        proceso.send_signal(signal.SIGINT)

        assert menu.resto() == "\nInterrumpido.\nHasta luego.\n"
        assert proceso.wait(ESPERA) == 0
    assert "Traceback" not in (tmp_path / "errores.txt").read_text()
    assert filas_de_la_tabla() == []


def test_ctrl_c_esperando_a_un_servidor_que_no_contesta_sale_limpio(proxy, tmp_path):
    entorno = {**os.environ, "DB_QUERY_TIMEOUT": "60"}  # solo Ctrl-C puede cortar la espera
    with menu_interactivo(entorno, tmp_path / "errores.txt") as (proceso, menu):
        menu.esperar(PROMPT)
        proxy.congelar()
        menu.escribir("1")
        assert proxy.retenido.wait(ESPERA), "la consulta del menú no llegó al proxy"
        esperar_a_que_lea(proceso.pid)  # dormido en la espera, no a medio enviar

        proceso.send_signal(signal.SIGINT)

        assert menu.resto(timeout=10) == "\nInterrumpido.\nHasta luego.\n"
        assert proceso.wait(ESPERA) == 0
    assert "Traceback" not in (tmp_path / "errores.txt").read_text()


def test_sigterm_esperando_a_un_servidor_que_no_contesta_cierra_como_la_opcion_0(proxy, tmp_path):
    # Sin la espera acotada, la señal no se atendería hasta que el servidor contestara.
    entorno = {**os.environ, "DB_QUERY_TIMEOUT": "60"}
    with menu_interactivo(entorno, tmp_path / "errores.txt") as (proceso, menu):
        menu.esperar(PROMPT)
        proxy.congelar()
        menu.escribir("1")
        assert proxy.retenido.wait(ESPERA), "la consulta del menú no llegó al proxy"
        esperar_a_que_lea(proceso.pid)

        proceso.send_signal(signal.SIGTERM)

        menu.resto(timeout=10)
        assert proceso.wait(ESPERA) == 128 + signal.SIGTERM
    assert "Traceback" not in (tmp_path / "errores.txt").read_text()


def test_ctrl_c_con_el_commit_en_vuelo_avisa_de_que_no_se_sabe_si_se_guardo(proxy, tmp_path):
    entorno = {**os.environ, "DB_QUERY_TIMEOUT": "60"}
    with menu_interactivo(entorno, tmp_path / "errores.txt") as (proceso, menu):
        menu.esperar(PROMPT)
        proxy.congelar_tras_commit()
        menu.escribir("2", "ana", "clave-de-ana")
        menu.esperar("no se ve al escribir): ")
        assert proxy.commit_reenviado.wait(ESPERA), "el COMMIT no llegó al proxy"
        esperar_a_que_lea(proceso.pid)

        proceso.send_signal(signal.SIGINT)

        resto = menu.resto(timeout=10)
        assert proceso.wait(ESPERA) == 0
    assert resto.startswith("\nInterrumpido.\nResultado desconocido: ")
    assert "Compruébelo antes de repetir" in resto
    assert resto.endswith("Hasta luego.\n")
    assert "Traceback" not in (tmp_path / "errores.txt").read_text()


def test_conexion_perdida_con_el_commit_en_vuelo_no_invita_a_repetir(proxy, tmp_path):
    with menu_interactivo(os.environ, tmp_path / "errores.txt") as (proceso, menu):
        menu.esperar(PROMPT)
        proxy.cortar_tras_commit()
        menu.escribir("2", "ana", "clave-de-ana")
        respuesta = menu.esperar(PROMPT)
        menu.escribir("0")
        menu.resto()
        assert proceso.wait(ESPERA) == 0
    assert "Resultado desconocido: " in respuesta
    assert "repita la opción" not in respuesta
    assert "Traceback" not in respuesta


def test_en_una_terminal_la_contrasena_no_tiene_eco():
    password = f"sin-eco-{uuid.uuid4().hex}"
    pid, terminal = pty.fork()
    if pid == 0:  # el hijo: la terminal nueva es su entrada, su salida y su /dev/tty
        try:
            os.chdir(RAIZ)
            os.execve(sys.executable, ORDEN, dict(os.environ))
        finally:
            os._exit(127)
    try:
        menu = Conversacion(terminal, terminal)
        menu.esperar(PROMPT)
        menu.escribir("2")
        menu.esperar("Nombre de usuario: ")
        menu.escribir("eco_visible")
        menu.esperar("Contraseña (8 a 128 caracteres, no se ve al escribir): ")
        menu.escribir(password)
        menu.esperar("Usuario agregado con id 1.")
        menu.esperar(PROMPT)
        menu.escribir("0")
        menu.resto()
        _, estado = os.waitpid(pid, 0)
        pid = 0
    finally:
        if pid:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        os.close(terminal)

    assert os.waitstatus_to_exitcode(estado) == 0, menu.todo()
    pantalla = menu.todo()
    assert "eco_visible" in pantalla  # la terminal sí repite lo que no es contraseña
    assert password not in pantalla
    assert UsuarioDAO.autenticar("eco_visible", password) == Usuario(1, "eco_visible")


# --- el servidor ----------------------------------------------------------------------


def test_servidor_inalcanzable_al_inicio_nombra_host_y_puerto_y_sale_con_1():
    with socket.socket() as sin_escuchar:
        sin_escuchar.bind(("127.0.0.1", 0))  # puerto ocupado por nadie que escuche
        puerto = sin_escuchar.getsockname()[1]
        entorno = {**os.environ, "DB_HOST": "127.0.0.1", "DB_PORT": str(puerto)}

        resultado = ejecutar_menu("1\n0\n", entorno)

    assert resultado.estado == 1
    assert f"127.0.0.1:{puerto}" in resultado.errores
    assert "Traceback" not in resultado.salida + resultado.errores
    assert PROMPT not in resultado.salida
    assert problemas_de_idioma(resultado.errores) == []  # libpq, citado entre «»


class SesionConParada(NamedTuple):
    antes: str
    parado_listar: str
    parado_agregar: str
    de_nuevo_listar: str
    salir: str
    estado: int
    errores: str
    registro: str  # el archivo de log del menú


@pytest.fixture(scope="module")
def sesion_con_servidor_parado() -> Iterator[SesionConParada]:
    """Una sesión con un servidor propio que se detiene a mitad y vuelve a arrancar."""
    with directorio_fuera_de_pytest("servidor_parado") as directorio:
        yield _sesion_con_parada(directorio)


def _sesion_con_parada(directorio: Path) -> SesionConParada:
    servidor = ServidorEmbebido(directorio / "datos")
    en_marcha = True
    try:
        configuracion = servidor.configurar(Configuracion(embebido=False, base="menu"))
        crear_base_si_falta(configuracion)
        entorno = {
            **os.environ,
            "DB_HOST": configuracion.host,
            "DB_PORT": str(configuracion.puerto),
            "DB_NAME": configuracion.base,
            "DB_USER": configuracion.usuario,
            "DB_PASSWORD": "",
            "LOG_FILE": str(directorio / "menu.log"),
        }
        # Sin revisar las ociosas: que la primera orden vaya por la conexión que ya no sirve
        # aunque parar el servidor tarde más de VALIDAR_SI_INACTIVA (con la máquina cargada).
        with menu_interactivo(
            entorno, directorio / "errores.txt", orden=ORDEN_SIN_REVISAR_OCIOSAS
        ) as (proceso, menu):
            menu.esperar(PROMPT)
            menu.escribir("2", "ana", "clave-de-ana")
            antes = menu.esperar(PROMPT)

            servidor.detener()
            en_marcha = False
            menu.escribir("1")
            parado_listar = menu.esperar(PROMPT)
            menu.escribir("2", "bruno", "clave-de-bruno")
            parado_agregar = menu.esperar(PROMPT)

            servidor.arrancar()
            en_marcha = True
            menu.escribir("1")
            de_nuevo_listar = menu.esperar(PROMPT)
            menu.escribir("0")
            salir = menu.resto()
            estado = proceso.wait(ESPERA)
    finally:
        if en_marcha:
            servidor.detener()
    return SesionConParada(
        antes,
        parado_listar,
        parado_agregar,
        de_nuevo_listar,
        salir,
        estado,
        (directorio / "errores.txt").read_text(encoding="utf-8"),
        (directorio / "menu.log").read_text(encoding="utf-8"),
    )


def test_servidor_parado_a_mitad_avisa_sigue_y_al_volver_la_opcion_funciona(
    sesion_con_servidor_parado,
):
    sesion = sesion_con_servidor_parado

    assert "Usuario agregado con id 1." in sesion.antes
    for respuesta in (sesion.parado_listar, sesion.parado_agregar):
        assert "Sin conexión con la base de datos:" in respuesta
        assert "El menú sigue abierto: cuando el servidor vuelva, repita la opción." in respuesta
        assert "Traceback" not in respuesta
    # bruno no se guardó: al volver el servidor solo está ana.
    assert "     1  ana\nTotal: 1 usuario.\n" in sesion.de_nuevo_listar
    assert sesion.salir == "Hasta luego.\n"
    assert sesion.estado == 0


def test_servidor_parado_a_mitad_no_muestra_trazas_en_la_consola(sesion_con_servidor_parado):
    sesion = sesion_con_servidor_parado

    # El caso difícil se dio: la orden fue por la conexión que el servidor ya había cerrado
    # (no por una nueva, abierta al revisarla), falló, y el pool la descartó, en el log.
    assert "Se descartó una conexión rota al devolverla" in sesion.registro
    # Lo que dijo libpq también queda en el log, y no en pantalla: ninguna línea del log
    # (eso es para quien programa) ni nada en inglés.
    assert "No such file or directory" in sesion.registro
    assert sesion.errores == ""
    for respuesta in (sesion.parado_listar, sesion.parado_agregar):
        assert "failed" not in respuesta
        assert problemas_de_idioma(respuesta) == []
    # Al pedir otra conexión, la causa en español (el embebido: salir y volver a entrar).
    assert "no hay ningún servidor con su socket en esa carpeta" in sesion.parado_agregar
