"""Califica las entregas de una clase (el laboratorio de cada alumno) contra lo que este
proyecto hace bien: `python -m acceso_datos.calificar ENTREGA [ENTREGA ...]`.

Cada entrega se ejecuta en su propio proceso, desde una copia temporal, con un entorno
limpio, límites de tiempo y memoria y su propia base de datos desechable; los informes
dicen, para cada comprobación, qué se midió y, si está mal, qué vería quien usa el
programa y dónde se hace bien aquí. Ver docs/calificar.md.
"""

from acceso_datos.calificar.calificador import Calificacion, calificar, calificar_entrega
from acceso_datos.calificar.comprobaciones import COMPROBACIONES, IDS, Resultado

__all__ = ["COMPROBACIONES", "IDS", "Calificacion", "Resultado", "calificar", "calificar_entrega"]
