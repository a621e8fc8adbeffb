"""Lo que comparten los programas de consola: el bucle de opciones, leer un id, un entero
o un decimal, confirmar un borrado, listar por páginas, explicar en español los errores de
las capas de abajo y escribir cada línea en cuanto se escribe."""

import io
import re
import sys
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import TypeVar

from acceso_datos.errores import (
    ConexionError,
    DatosInvalidosError,
    ErrorAccesoDatos,
    PoolAgotadoError,
    RegistroDuplicadoError,
    ResultadoDesconocidoError,
)
from acceso_datos.formato import plural
from acceso_datos.logger_base import log
from acceso_datos.validacion import etiqueta

FILAS_POR_PAGINA = 20
PREGUNTA_PAGINA = "Enter: página siguiente · q: volver al menú "

# Solo cifras ASCII: isdigit() y Decimal() aceptan también «²» o «١٢», que nadie escribe a
# propósito. Un decimal lleva coma o punto (9,99 o 9.99) y nada de exponentes ni NaN.
_ENTERO = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?[0-9]+(?:[.,][0-9]+)?")
MAX_CIFRAS = 40  # más largo no es un número que se quiera escribir (ni repetir en un mensaje)
IDS_QUE_FALTAN = (
    "Los ids que faltan no se reutilizan: eran de altas que fallaron o se deshicieron, o de "
    "registros eliminados (`make demo`, paso 6, cuenta por qué)."
)

T = TypeVar("T")


def escribir_linea_a_linea() -> None:
    """Que cada línea de la salida estándar llegue en cuanto se escribe, también por una
    tubería (`make demo | tee salida.txt`, o un test que lee el programa)."""
    # Python solo vacía la salida línea a línea en una terminal; por una tubería la guarda
    # en bloques de 8 KiB, y quien lee no ve nada hasta que el programa acaba. stderr sí va
    # línea a línea: sus avisos saldrían encima de lo que se escribió antes en stdout.
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(line_buffering=True)


def repetir_menu(menu: str, opciones: dict[str, Callable[[], None]]) -> None:
    """Muestra el menú y ejecuta la opción elegida hasta que se elige 0."""
    while True:
        print(menu)
        opcion = input("Opción: ").strip()
        if opcion == "0":
            return
        accion = opciones.get(opcion)
        if accion is None:
            print(f"Opción no válida: '{opcion}'. Escriba un número del 0 al {len(opciones)}.")
            continue
        atender(accion)


def atender(accion: Callable[[], None]) -> None:
    """Ejecuta una opción; cualquier error se explica y el menú continúa."""
    try:
        accion()
    except DatosInvalidosError as error:
        print(f"Dato no válido: {error}")
    except RegistroDuplicadoError as error:
        print(f"No se guardó: {error}")
    except PoolAgotadoError as error:
        print(f"Todas las conexiones están ocupadas: {error}")
    except ResultadoDesconocidoError as error:
        # Antes que ConexionError, de la que deriva: aquí repetir la opción no es seguro.
        print(f"Resultado desconocido: {error}")
    except ConexionError as error:
        print(f"Sin conexión con la base de datos: {error}")
        print("El menú sigue abierto: cuando el servidor vuelva, repita la opción.")
    except ErrorAccesoDatos as error:
        print(f"Error: {error}")
    except (EOFError, KeyboardInterrupt):
        raise
    except Exception:
        log.exception("Error inesperado en el menú")
        print("Error inesperado: no se guardó nada a medias. Los detalles están en el log.")


def leer_id(pregunta: str) -> int | None:
    """Lee un id; si no es un entero positivo lo explica y devuelve None."""
    texto = input(pregunta).strip()
    # isascii: isdigit() también acepta «²», que int() no sabe convertir.
    if texto.isascii() and texto.isdigit() and int(texto) > 0:
        return int(texto)
    print(f"El id debe ser un número entero positivo (escribió '{texto}').")
    return None


def leer_entero(pregunta: str, campo: str) -> int:
    """Lee un número entero que no es un id (una cantidad, unas existencias). Si lo escrito
    no es un entero, DatosInvalidosError con el nombre del campo; los límites los pone el
    validador de la entidad."""
    texto = input(pregunta).strip()
    if len(texto) > MAX_CIFRAS or not _ENTERO.fullmatch(texto):
        raise _no_es_un_numero(campo, "un número entero, como 12", texto)
    return int(texto)


def leer_decimal(pregunta: str, campo: str) -> Decimal:
    """Lee un número con decimales, con coma o con punto («9,99» o «9.99»), como un Decimal
    exacto. Si lo escrito no es un número, DatosInvalidosError con el nombre del campo; los
    decimales de más o el mínimo los comprueba el validador de la entidad."""
    texto = input(pregunta).strip()
    if len(texto) > MAX_CIFRAS or not _DECIMAL.fullmatch(texto):
        raise _no_es_un_numero(campo, "un número, como 9,99", texto)
    return Decimal(texto.replace(",", "."))


def _no_es_un_numero(campo: str, como: str, texto: str) -> DatosInvalidosError:
    escrito = texto if len(texto) <= MAX_CIFRAS else f"{texto[:MAX_CIFRAS]}..."
    return DatosInvalidosError(
        f"El campo {etiqueta(campo)} debe ser {como} (escribió '{escrito}')."
    )


def confirmar_borrado(registro: object) -> bool:
    """Muestra lo que se va a borrar; True solo si se responde 's'."""
    print(f"Se eliminará: {registro}")
    respuesta = input("¿Confirma? (s/n): ").strip().lower()
    if respuesta == "s":
        return True
    # «si» o «sí» no borran: solo «s» confirma, y se dice para que no sorprenda.
    motivo = "" if respuesta == "n" else f": solo 's' confirma (respondió '{respuesta}')"
    print(f"No se eliminó nada{motivo}.")
    return False


def listar_por_paginas(
    seleccionar_pagina: Callable[[int, int], Sequence[T]],
    cabecera: str,
    fila: Callable[[T], str],
    nombres: tuple[str, str],
    vacio: str,
    id_de: Callable[[T], int | None] | None = None,
) -> None:
    """Muestra una tabla de FILAS_POR_PAGINA en FILAS_POR_PAGINA filas, con el total al final.

    `nombres` es el singular y el plural para el total («usuario», «usuarios»); `vacio`,
    lo que se dice si no hay ninguna fila. Con `id_de`, si a los ids mostrados les falta
    alguno (1, 3...), una nota dice por qué.
    """
    desplazamiento = 0
    faltan_ids = False
    while True:
        # Se pide una fila de más para saber si queda otra página sin contar la tabla.
        pagina = seleccionar_pagina(FILAS_POR_PAGINA + 1, desplazamiento)
        if not pagina and desplazamiento == 0:
            print(vacio)
            return
        print(cabecera)
        for posicion, registro in enumerate(pagina[:FILAS_POR_PAGINA], desplazamiento + 1):
            print(fila(registro))
            # Ordenados por id, la fila N tiene el id N salvo que falte alguno antes.
            faltan_ids = faltan_ids or (id_de is not None and id_de(registro) != posicion)
        if len(pagina) <= FILAS_POR_PAGINA:
            # Sin esta línea, tras la última página el menú llega sin que se note el final.
            print(f"Total: {plural(desplazamiento + len(pagina), *nombres)}.")
            if faltan_ids:
                print(IDS_QUE_FALTAN)
            return
        desplazamiento += FILAS_POR_PAGINA
        if input(PREGUNTA_PAGINA).strip().lower() == "q":
            return
