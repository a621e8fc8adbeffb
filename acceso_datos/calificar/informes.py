"""Los informes: uno en Markdown por entrega, el resumen de la clase (resumen.md y
resumen.csv) y, si se pide, el JSON para herramientas. Todo en español, y cada «mal» con
lo que vería quien usa el programa y el enlace a donde este proyecto lo hace bien."""

import csv
import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from acceso_datos.calificar.calificador import Calificacion
from acceso_datos.calificar.comprobaciones import BIEN, COMPROBACIONES, IDS, MAL, NO_APLICA
from acceso_datos.calificar.referencias import Enlace, enlace
from acceso_datos.formato import plural, segundos

RESUMEN_MD = "resumen.md"
RESUMEN_CSV = "resumen.csv"
SIMBOLOS = {BIEN: "✔", MAL: "✘", NO_APLICA: "–"}
PALABRAS = {BIEN: "bien", MAL: "**mal**", NO_APLICA: "no aplica"}
PIEZAS = (
    ("conexion", "Conexion"),
    ("cursor_del_pool", "CursorDelPool"),
    ("usuario", "Usuario"),
    ("usuario_dao", "UsuarioDAO"),
    ("menu", "el menú"),
)


def escribir_informes(
    calificaciones: Sequence[Calificacion], salida: Path, archivo_json: Path | None = None
) -> list[Path]:
    """Escribe los informes en `salida` (y el JSON en `archivo_json`); devuelve sus rutas."""
    salida.mkdir(parents=True, exist_ok=True)
    enlaces = {c.id: enlace(c.referencia) for c in COMPROBACIONES}
    nombres = {c.entrega: nombre_de_informe(c.entrega) for c in calificaciones}
    escritos = []
    for calificacion in calificaciones:
        ruta = salida / nombres[calificacion.entrega]
        ruta.write_text(informe(calificacion, enlaces, salida), encoding="utf-8")
        escritos.append(ruta)
    (salida / RESUMEN_MD).write_text(resumen(calificaciones, nombres), encoding="utf-8")
    (salida / RESUMEN_CSV).write_text(resumen_csv(calificaciones), encoding="utf-8")
    escritos += [salida / RESUMEN_MD, salida / RESUMEN_CSV]
    if archivo_json is not None:
        archivo_json.parent.mkdir(parents=True, exist_ok=True)
        texto = json.dumps(como_json(calificaciones), ensure_ascii=False, indent=2)
        archivo_json.write_text(texto + "\n", encoding="utf-8")
        escritos.append(archivo_json)
    return escritos


def nombre_de_informe(entrega: str) -> str:
    """El archivo del informe de una entrega; nunca el de un resumen."""
    if entrega.lower() in (Path(RESUMEN_MD).stem, Path(RESUMEN_CSV).stem):
        return f"{entrega}_entrega.md"
    return f"{entrega}.md"


def como_json(calificaciones: Sequence[Calificacion]) -> dict[str, Any]:
    """Los resultados con el esquema de la issue 24, para herramientas."""
    return {
        "entregas": [
            {
                "entrega": c.entrega,
                "mapeo": c.mapeo,
                "comprobaciones": {
                    id_: {"resultado": r.resultado, "detalle": r.detalle}
                    for id_, r in c.comprobaciones.items()
                },
            }
            for c in calificaciones
        ]
    }


def informe(calificacion: Calificacion, enlaces: dict[str, Enlace], carpeta: Path) -> str:
    """El informe de una entrega: la tabla, lo que hay que corregir y qué se tomó por qué."""
    c = calificacion
    lineas = [
        f"# Entrega «{c.entrega}»",
        "",
        f"Calificada con `python -m acceso_datos.calificar` en {segundos(c.segundos)}: "
        f"{_cuentas(c)}.",
        "",
        "| comprobación | resultado | qué se midió |",
        "|---|---|---|",
    ]
    for id_, resultado in c.comprobaciones.items():
        lineas.append(
            f"| `{id_}` | {PALABRAS[resultado.resultado]} | {_celda(resultado.detalle)} |"
        )
    males = [(id_, r) for id_, r in c.comprobaciones.items() if r.resultado == MAL]
    if males:
        lineas += ["", "## Lo que hay que corregir"]
        for id_, resultado in males:
            comprobacion = next(x for x in COMPROBACIONES if x.id == id_)
            destino = enlaces[id_]
            lineas += [
                "",
                f"### `{id_}`",
                "",
                f"- **Qué vería quien usa el programa:** {comprobacion.consecuencia}",
                f"- **Qué se midió:** {resultado.detalle}.",
                f"- **Así lo hace este proyecto:** [`{destino.ruta.name}`, "
                f"`{destino.texto.strip()}`]({destino.destino(carpeta)})",
            ]
    sin_comprobar = [(id_, r) for id_, r in c.comprobaciones.items() if r.resultado == NO_APLICA]
    if sin_comprobar:
        lineas += ["", "## Lo que no se pudo comprobar", ""]
        lineas += [f"- `{id_}`: {r.detalle}." for id_, r in sin_comprobar]
    lineas += ["", *_mapeo(c.mapeo)]
    return "\n".join(lineas) + "\n"


def _mapeo(mapeo: dict[str, Any]) -> list[str]:
    """Qué se tomó por cada pieza del curso, para que el profesor lo vea."""
    lineas = [
        "## Qué se tomó por cada pieza del curso",
        "",
        "| pieza del curso | en la entrega |",
        "|---|---|",
    ]
    for clave, nombre in PIEZAS:
        datos = mapeo.get(clave, {})
        if "falta" in datos:
            texto = f"no se encontró: {datos['falta']}"
        else:
            texto = f"`{datos['archivo']}`"
            if "clase" in datos:
                texto += f", clase `{datos['clase']}`"
            cambios = {**datos.get("metodos", {}), **datos.get("atributos", {})}
            distintos = [f"{curso} → `{suyo}`" for curso, suyo in cambios.items()]
            if distintos:
                texto += ": " + ", ".join(distintos)
        lineas.append(f"| {nombre} | {_celda(texto)} |")
    if mapeo.get("al_importar"):
        lineas += ["", "### Lo que hace cada módulo al importarse", ""]
        lineas += [f"- `{archivo}`: {texto}." for archivo, texto in mapeo["al_importar"].items()]
    if mapeo.get("avisos"):
        lineas += ["", "### Avisos", ""]
        lineas += [f"- {aviso}" for aviso in mapeo["avisos"]]
    return lineas


def resumen(calificaciones: Sequence[Calificacion], nombres: dict[str, str]) -> str:
    """El resumen de la clase: una fila por entrega, una columna por comprobación."""
    lineas = [
        "# Resumen de la clase",
        "",
        f"{plural(len(calificaciones), 'entrega calificada', 'entregas calificadas')} con "
        "`python -m acceso_datos.calificar`. ✔ bien · ✘ mal · – no aplica (el informe de "
        "cada entrega dice qué se midió y por qué).",
        "",
        "| entrega | " + " | ".join(f"`{id_}`" for id_ in IDS) + " | tiempo |",
        "|---|" + "---|" * len(IDS) + "---|",
    ]
    for c in calificaciones:
        celdas = [SIMBOLOS[c.comprobaciones[id_].resultado] for id_ in IDS]
        fila = f"| [{c.entrega}]({nombres[c.entrega]}) | " + " | ".join(celdas)
        lineas.append(f"{fila} | {segundos(c.segundos)} |")
    lineas += [
        "",
        "## Por comprobación",
        "",
        "| comprobación | bien | mal | no aplica | qué mide |",
        "|---|---|---|---|---|",
    ]
    for comprobacion in COMPROBACIONES:
        cuentas = [
            sum(1 for c in calificaciones if c.comprobaciones[comprobacion.id].resultado == r)
            for r in (BIEN, MAL, NO_APLICA)
        ]
        lineas.append(
            f"| `{comprobacion.id}` | {' | '.join(map(str, cuentas))} | {comprobacion.titulo} |"
        )
    return "\n".join(lineas) + "\n"


def resumen_csv(calificaciones: Sequence[Calificacion]) -> str:
    """Una fila por entrega y una columna por comprobación, con bien, mal o no_aplica."""
    texto = io.StringIO()
    escritor = csv.writer(texto, lineterminator="\n")
    escritor.writerow(["entrega", *IDS])
    for c in calificaciones:
        escritor.writerow([c.entrega, *(c.comprobaciones[id_].resultado for id_ in IDS)])
    return texto.getvalue()


def linea_de_progreso(calificacion: Calificacion, hechas: int, total: int) -> str:
    """«[3/30] curso: 8 bien, 6 mal, 1 no aplica (0,8 s)», para la terminal."""
    tiempo = segundos(calificacion.segundos)
    return f"[{hechas}/{total}] {calificacion.entrega}: {_cuentas(calificacion)} ({tiempo})"


def _cuentas(calificacion: Calificacion) -> str:
    return (
        f"{calificacion.cuenta(BIEN)} bien, {calificacion.cuenta(MAL)} mal, "
        f"{calificacion.cuenta(NO_APLICA)} no aplica"
    )


def _celda(texto: str) -> str:
    """El texto dentro de una celda de Markdown: sin barras verticales ni saltos de línea."""
    return " ".join(texto.replace("|", "\\|").split())
