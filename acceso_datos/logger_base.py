"""Logger con nombre de la biblioteca y su configuración para los puntos de entrada."""

import logging
import logging.handlers
from pathlib import Path

# El paquete solo escribe en este logger; dónde se ve lo decide el programa que lo usa.
log = logging.getLogger("acceso_datos")

FORMATO = "%(asctime)s %(levelname)s [%(module)s:%(lineno)d] %(message)s"
FORMATO_EN_CONSOLA = "%(levelname)s: %(message)s"
RAIZ_PROYECTO = Path(__file__).resolve().parent.parent


# En la consola, el nivel en español: la ve quien usa el programa.
NIVELES_EN_CONSOLA = {"WARNING": "AVISO", "ERROR": "ERROR", "CRITICAL": "CRÍTICO"}


class _FormatoSinTrazas(logging.Formatter):
    """Formato de consola: el nivel en español y el mensaje, sin la traza del error, la
    hora ni el módulo (eso es para quien programa, y queda en el archivo de log)."""

    def format(self, registro: logging.LogRecord) -> str:
        # Se cambia una copia: el mismo registro va también al archivo, con su traza.
        copia = logging.makeLogRecord(registro.__dict__)
        copia.exc_info = copia.exc_text = copia.stack_info = None
        copia.levelname = NIVELES_EN_CONSOLA.get(copia.levelname, copia.levelname)
        return super().format(copia)


def configurar_logging(nivel: str = "DEBUG", archivo: str | Path | None = None) -> Path:
    """Envía el log a un archivo (al nivel pedido) y a la consola (solo WARNING). Al pasar
    de 1 MB, el archivo se renueva y se guardan los 3 anteriores.

    Solo la llaman los puntos de entrada; devuelve la ruta del archivo de log.
    """
    ruta = Path(archivo) if archivo else RAIZ_PROYECTO / "acceso_datos.log"
    formato = logging.Formatter(FORMATO)

    en_archivo = logging.handlers.RotatingFileHandler(
        ruta, maxBytes=1_000_000, backupCount=3, encoding="utf-8"
    )
    en_archivo.setFormatter(formato)
    en_archivo.setLevel(nivel)

    # La consola queda para avisos y sin trazas: el menú debe seguir legible.
    en_consola = logging.StreamHandler()
    en_consola.setFormatter(_FormatoSinTrazas(FORMATO_EN_CONSOLA))
    en_consola.setLevel(logging.WARNING)

    # Los dos destinos van en el logger raíz (el de todo el programa): los mensajes de `log`
    # suben hasta él, y el nivel de la raíz solo filtra los de otros paquetes. Se quitan
    # los destinos de antes para que llamarla dos veces no duplique cada línea.
    raiz = logging.getLogger()
    for manejador in list(raiz.handlers):
        raiz.removeHandler(manejador)
        manejador.close()
    raiz.addHandler(en_archivo)
    raiz.addHandler(en_consola)
    raiz.setLevel(logging.WARNING)
    log.setLevel(nivel)
    return ruta
