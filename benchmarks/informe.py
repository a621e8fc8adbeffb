"""El informe de `make bench`: tablas para la consola y el mismo contenido en Markdown.

El informe es una lista de bloques (párrafos y tablas); la consola y el archivo Markdown
son dos formas de escribir la misma lista, así que no pueden contar cosas distintas.
"""

import sys
from dataclasses import dataclass, field
from typing import TextIO

from acceso_datos.formato import numero

ANCHO = 100


@dataclass
class Tabla:
    titulo: str
    columnas: list[str]
    filas: list[list[str]] = field(default_factory=list)
    notas: list[str] = field(default_factory=list)
    texto: tuple[int, ...] = (0,)  # columnas de texto, alineadas a la izquierda; las demás, cifras


@dataclass(frozen=True)
class Titulo:
    texto: str


@dataclass
class Grafico:
    """Líneas sobre un eje de categorías; solo en Markdown (en la consola ya están las tablas)."""

    titulo: str
    eje_x: str
    categorias: list[str]
    eje_y: str
    series: dict[str, list[float]]  # nombre de la línea -> un valor por categoría


# Colores fijos, en orden, para poder nombrarlos en la leyenda (xychart no dibuja leyenda).
COLORES = {
    "#1f77b4": "azul",
    "#ff7f0e": "naranja",
    "#2ca02c": "verde",
    "#d62728": "rojo",
    "#9467bd": "morado",
    "#8c564b": "marrón",
    "#7f7f7f": "gris",
}

Bloque = str | Tabla | Titulo | Grafico  # un str es un párrafo


def veces(valor: float) -> str:
    return f"{numero(valor, 2)}×"


def en_hilos(hilos: int) -> str:
    return f"{hilos} {'hilo' if hilos == 1 else 'hilos'}"


# --- consola ---------------------------------------------------------------------------


def _tabla_en_consola(tabla: Tabla) -> list[str]:
    columnas = zip(tabla.columnas, *tabla.filas, strict=True)
    anchos = [max(len(texto) for texto in columna) for columna in columnas]

    def fila(celdas: list[str]) -> str:
        alineadas = [
            celda.ljust(ancho) if indice in tabla.texto else celda.rjust(ancho)
            for indice, (celda, ancho) in enumerate(zip(celdas, anchos, strict=True))
        ]
        return "  ".join(alineadas).rstrip()

    lineas = [tabla.titulo] if tabla.titulo else []
    lineas += [fila(tabla.columnas), "-" * len(fila(tabla.columnas))]
    lineas += [fila(celdas) for celdas in tabla.filas]
    lineas += tabla.notas
    return lineas


def en_consola(bloques: list[Bloque]) -> str:
    lineas: list[str] = []
    for bloque in bloques:
        if isinstance(bloque, Titulo):
            lineas += ["", bloque.texto, "=" * min(ANCHO, len(bloque.texto))]
        elif isinstance(bloque, Tabla):
            lineas += ["", *_tabla_en_consola(bloque)]
        elif isinstance(bloque, Grafico):
            continue
        else:
            lineas.append(bloque)
    return "\n".join(lineas).strip("\n") + "\n"


# --- Markdown --------------------------------------------------------------------------


def _celda_md(texto: str) -> str:
    return texto.replace("|", "\\|")


def _grafico_md(grafico: Grafico) -> list[str]:
    """Un `xychart-beta` de mermaid (GitHub lo dibuja) y su leyenda de colores."""
    colores = list(COLORES)[: len(grafico.series)]
    lineas = [
        "```mermaid",
        "---",
        "config:",
        "  themeVariables:",
        "    xyChart:",
        f'      plotColorPalette: "{", ".join(colores)}"',
        "---",
        "xychart-beta",
        f'    title "{grafico.titulo}"',
        f'    x-axis "{grafico.eje_x}" [{", ".join(grafico.categorias)}]',
        f'    y-axis "{grafico.eje_y}"',
    ]
    for nombre, valores in grafico.series.items():
        lineas.append(f'    line "{nombre}" [{", ".join(f"{valor:.0f}" for valor in valores)}]')
    lineas += ["```", ""]
    leyenda = "; ".join(
        f"{COLORES[color]}: {nombre}" for color, nombre in zip(colores, grafico.series, strict=True)
    )
    return [*lineas, f"Líneas: {leyenda}.", ""]


def en_markdown(bloques: list[Bloque], titulo: str) -> str:
    lineas = [f"# {titulo}", ""]
    for bloque in bloques:
        if isinstance(bloque, Titulo):
            lineas += [f"## {bloque.texto}", ""]
        elif isinstance(bloque, Grafico):
            lineas += _grafico_md(bloque)
        elif isinstance(bloque, Tabla):
            if bloque.titulo:
                lineas += [f"**{bloque.titulo}**", ""]
            lineas.append("| " + " | ".join(map(_celda_md, bloque.columnas)) + " |")
            alineacion = [
                "---" if indice in bloque.texto else "---:"
                for indice in range(len(bloque.columnas))
            ]
            lineas.append("| " + " | ".join(alineacion) + " |")
            lineas += ["| " + " | ".join(map(_celda_md, celdas)) + " |" for celdas in bloque.filas]
            lineas.append("")
            lineas += [f"{nota}  " for nota in bloque.notas]
            if bloque.notas:
                lineas.append("")
        else:
            lineas += [bloque, ""]
    return "\n".join(lineas).rstrip("\n") + "\n"


# --- progreso --------------------------------------------------------------------------


class Progreso:
    """Una línea de progreso que se reescribe en una terminal; fuera de ella, una por fase.

    Se usa con `with`: al salir, pase lo que pase, borra la línea a medio escribir.
    """

    def __init__(self, flujo: TextIO | None = None):
        self.total = 1  # pasos previstos; se fija cuando se sabe
        self._hechos = 0
        self._fase = ""
        self._flujo = flujo or sys.stderr
        self._terminal = self._flujo.isatty()

    def __enter__(self) -> "Progreso":
        return self

    def __exit__(self, *excepcion: object) -> None:
        if self._terminal:
            self._flujo.write("\r\033[K")
            self._flujo.flush()

    def fase(self, texto: str) -> None:
        self._fase = texto
        if self._terminal:
            self._escribir(texto)
        else:
            print(f"... {texto}", file=self._flujo, flush=True)

    def paso(self, detalle: str = "") -> None:
        self._hechos += 1
        if self._terminal:
            self._escribir(f"{self._fase}: {detalle}" if detalle else self._fase)

    def _escribir(self, texto: str) -> None:
        porcentaje = min(100, 100 * self._hechos // max(self.total, 1))
        linea = f"[{porcentaje:3d} %] {texto}"[: ANCHO - 1]
        self._flujo.write(f"\r\033[K{linea}")
        self._flujo.flush()
