"""`python -m acceso_datos.calificar ENTREGA [ENTREGA ...]`: califica las entregas de una
clase y escribe sus informes (lo que hace `make calificar ENTREGAS=carpeta`)."""

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

from acceso_datos.calificar.aislamiento import MEMORIA
from acceso_datos.calificar.base_desechable import BaseNoDisponible
from acceso_datos.calificar.calificador import (
    LIMITE_DE_LA_ENTREGA,
    Calificacion,
    EntregaNoEncontrada,
    calificar,
)
from acceso_datos.calificar.informes import (
    RESUMEN_CSV,
    RESUMEN_MD,
    escribir_informes,
    linea_de_progreso,
)
from acceso_datos.configuracion import Configuracion, leer_configuracion
from acceso_datos.errores import ErrorAccesoDatos
from acceso_datos.formato import plural, segundos
from acceso_datos.servidor_embebido import ServidorEmbebido

USO = """Uso: python -m acceso_datos.calificar [opciones] ENTREGA [ENTREGA ...]

Califica cada ENTREGA (una carpeta con el laboratorio de un alumno) y escribe un informe
por entrega, resumen.md y resumen.csv.

Opciones:
  --clase CARPETA     califica cada subcarpeta de CARPETA (lo que hace make calificar)
  --salida CARPETA    dónde escribir los informes (por defecto, calificaciones/)
  --json ARCHIVO      escribe también los resultados en JSON
  --paralelo N        cuántas entregas a la vez (por defecto, 2)
  -h, --ayuda         muestra esta ayuda"""
SALIDA = Path("calificaciones")
OPCIONES_CON_VALOR = ("--clase", "--salida", "--json", "--paralelo")


class ArgumentosNoValidos(Exception):
    """La línea de órdenes no se entiende; el mensaje dice qué falta o qué sobra."""


@dataclass
class Argumentos:
    entregas: list[Path] = field(default_factory=list)
    salida: Path = SALIDA
    json: Path | None = None
    paralelo: int = 2
    ayuda: bool = False


def leer_argumentos(lista: list[str]) -> Argumentos:
    """Interpreta la línea de órdenes (a mano: los mensajes de argparse están en inglés)."""
    argumentos = Argumentos()
    clases: list[Path] = []
    pendientes = list(lista)
    while pendientes:
        actual = pendientes.pop(0)
        if actual in ("-h", "--ayuda", "--help"):
            argumentos.ayuda = True
        elif actual.split("=", 1)[0] in OPCIONES_CON_VALOR:
            nombre, _, valor = actual.partition("=")
            if not valor:
                if not pendientes:
                    raise ArgumentosNoValidos(f"{nombre} necesita un valor.")
                valor = pendientes.pop(0)
            if nombre == "--clase":
                clases.append(Path(valor))
            elif nombre == "--salida":
                argumentos.salida = Path(valor)
            elif nombre == "--json":
                argumentos.json = Path(valor)
            else:
                if not valor.isdigit() or int(valor) < 1:
                    raise ArgumentosNoValidos(
                        f"--paralelo debe ser un entero positivo, no «{valor}»."
                    )
                argumentos.paralelo = int(valor)
        elif actual.startswith("-"):
            raise ArgumentosNoValidos(f"opción desconocida: {actual}")
        else:
            argumentos.entregas.append(Path(actual))
    for clase in clases:
        if not clase.is_dir():
            raise ArgumentosNoValidos(f"la carpeta de la clase {clase} no existe.")
        argumentos.entregas += sorted(
            hija
            for hija in clase.iterdir()
            if hija.is_dir() and not hija.name.startswith((".", "_"))
        )
    if not argumentos.entregas and not argumentos.ayuda:
        raise ArgumentosNoValidos(
            "no hay ninguna entrega que calificar: indique sus carpetas o --clase CARPETA."
        )
    return argumentos


def servidor_de_calificacion() -> tuple[Configuracion, str]:
    """El servidor donde se crean las bases de las entregas y cómo se llama: el embebido
    del proyecto (.pgdata/) o el configurado en .env, como el resto de órdenes."""
    configuracion = leer_configuracion()
    if not configuracion.embebido:
        return configuracion, configuracion.destino()
    servidor = ServidorEmbebido(configuracion.directorio_embebido)
    destino = f"PostgreSQL embebido (datos en {configuracion.directorio_embebido})"
    return servidor.configurar(configuracion).con(embebido=False), destino


def main(lista: list[str]) -> int:
    """Califica, informa y devuelve el código de salida."""
    try:
        argumentos = leer_argumentos(lista)
    except ArgumentosNoValidos as error:
        print(f"Error: {error}\n\n{USO}", file=sys.stderr)
        return 2
    if argumentos.ayuda:
        print(USO)
        return 0
    try:
        for entrega in argumentos.entregas:
            if not entrega.is_dir():
                raise EntregaNoEncontrada(f"La entrega {entrega} no existe o no es una carpeta.")
        administracion, destino = servidor_de_calificacion()
        total = len(argumentos.entregas)
        print(
            f"Calificando {plural(total, 'entrega', 'entregas')} en {destino}, "
            f"{argumentos.paralelo} a la vez; cada una en su propia base, que se borra al "
            f"acabar (límite: {segundos(LIMITE_DE_LA_ENTREGA, None)} y "
            f"{MEMORIA // 2**20} MiB por proceso).",
            flush=True,
        )
        hechas = 0

        def al_terminar(calificacion: Calificacion) -> None:
            nonlocal hechas
            hechas += 1
            print(linea_de_progreso(calificacion, hechas, total), flush=True)

        calificaciones = calificar(
            argumentos.entregas, administracion, argumentos.paralelo, al_terminar
        )
        escribir_informes(calificaciones, argumentos.salida, argumentos.json)
    except (ErrorAccesoDatos, BaseNoDisponible, EntregaNoEncontrada) as error:
        print(f"Error: {error}", file=sys.stderr)
        return 1
    except OSError as error:
        print(f"Error: no se pudo escribir {error.filename} ({error.strerror}).", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nInterrumpido: no se escribió ningún informe.", file=sys.stderr)
        return 130
    print(
        f"Informes en {argumentos.salida}{os.sep}: {RESUMEN_MD}, {RESUMEN_CSV} y uno por entrega."
    )
    if argumentos.json is not None:
        print(f"JSON en {argumentos.json}.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
