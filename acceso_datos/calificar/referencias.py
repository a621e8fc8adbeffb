"""Los enlaces «así se hace bien»: el archivo y la línea de este proyecto, calculados al
momento, porque el código se mueve y un número escrito a mano dejaría de apuntar bien."""

import importlib
import inspect
import os
import re
from dataclasses import dataclass
from pathlib import Path

from acceso_datos.calificar.comprobaciones import Referencia
from acceso_datos.configuracion import RAIZ_PROYECTO


@dataclass(frozen=True)
class Enlace:
    """Un archivo del proyecto (relativo a su raíz), una línea y lo que dice esa línea."""

    ruta: Path
    linea: int
    texto: str

    def destino(self, desde: Path) -> str:
        """El enlace en Markdown para un documento guardado en la carpeta `desde`."""
        relativa = Path(os.path.relpath(RAIZ_PROYECTO / self.ruta, desde.resolve()))
        return f"{relativa.as_posix()}#L{self.linea}"


def enlace(referencia: Referencia) -> Enlace:
    """Busca el objeto de la referencia y la línea que dice su texto (o su def / class)."""
    objeto: object = importlib.import_module(referencia.modulo)
    for nombre in referencia.objeto.split("."):
        objeto = inspect.getattr_static(objeto, nombre)
        objeto = getattr(objeto, "__func__", objeto)  # classmethod y staticmethod
    # Un decorador con functools.wraps: el archivo y la línea son los de la función de verdad
    # (getsourcelines la desenvuelve, getsourcefile no: sin esto, cada uno sería de otra).
    objeto = inspect.unwrap(objeto)  # type: ignore[arg-type]
    lineas, primera = inspect.getsourcelines(objeto)  # type: ignore[arg-type]
    ruta = Path(inspect.getsourcefile(objeto) or "")  # type: ignore[arg-type]
    ultimo = referencia.objeto.rsplit(".", 1)[-1]
    buscado = referencia.texto
    patron = re.compile(
        re.escape(buscado) if buscado else rf"^\s*(?:async\s+)?(?:def|class)\s+{ultimo}\b"
    )
    for desplazamiento, linea in enumerate(lineas):
        if patron.search(linea):
            texto = buscado or linea.strip().split("(")[0].rstrip(":")
            return Enlace(
                ruta.resolve().relative_to(RAIZ_PROYECTO), primera + desplazamiento, texto
            )
    raise LookupError(f"{referencia.modulo}.{referencia.objeto} no tiene la línea {patron.pattern}")
