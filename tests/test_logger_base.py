"""Logging: la biblioteca no configura nada al importarse; `configurar_logging` sí, y bien."""

import inspect
import json
import logging
import logging.handlers
import re
import subprocess
import sys
from pathlib import Path

import pytest
from ayudas import RAIZ

from acceso_datos.logger_base import configurar_logging, log

# Hora, nivel, módulo:línea y mensaje, p. ej. "2024-05-01 10:00:00,123 INFO [conexion:42] ...".
LINEA = re.compile(
    r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},\d{3} (?P<nivel>[A-Z]+) "
    r"\[(?P<modulo>\w+):(?P<linea>\d+)\] (?P<mensaje>.*)$"
)

_IMPORTAR_TODO = """
import json, logging, pkgutil, importlib
import acceso_datos
for modulo in pkgutil.iter_modules(acceso_datos.__path__):
    if modulo.name != "__main__":
        importlib.import_module(f"acceso_datos.{modulo.name}")
biblioteca = logging.getLogger("acceso_datos")
print(json.dumps({
    "raiz": [repr(h) for h in logging.getLogger().handlers],
    "biblioteca": [repr(h) for h in biblioteca.handlers],
    "nivel_biblioteca": biblioteca.level,
}))
"""


def _lineas(ruta: Path) -> list[str]:
    for manejador in logging.getLogger().handlers:
        manejador.flush()
    return ruta.read_text(encoding="utf-8").splitlines()


def test_importar_la_biblioteca_no_anade_manejadores():
    # En un proceso aparte: pytest instala sus propios manejadores en este.
    resultado = subprocess.run(
        [sys.executable, "-c", _IMPORTAR_TODO],
        cwd=RAIZ,
        capture_output=True,
        text=True,
        timeout=30,
    )

    assert resultado.returncode == 0, resultado.stderr
    assert json.loads(resultado.stdout) == {
        "raiz": [],
        "biblioteca": [],
        "nivel_biblioteca": logging.NOTSET,
    }


@pytest.mark.usefixtures("logging_restaurado")
def test_el_archivo_recibe_desde_el_nivel_pedido_con_hora_nivel_modulo_y_linea(tmp_path):
    ruta = configurar_logging("INFO", tmp_path / "app.log")

    log.debug("depuración que no debe verse")
    log.info("el pool presta una conexión")
    linea_info = inspect.currentframe().f_lineno - 1
    log.error("algo falló")

    assert ruta == tmp_path / "app.log"
    lineas = _lineas(ruta)
    assert len(lineas) == 2
    info, error = (LINEA.match(linea) for linea in lineas)
    assert info is not None and error is not None, lineas
    assert info.group("nivel", "modulo", "mensaje") == (
        "INFO",
        "test_logger_base",
        "el pool presta una conexión",
    )
    assert int(info.group("linea")) == linea_info
    assert error.group("nivel", "mensaje") == ("ERROR", "algo falló")


@pytest.mark.usefixtures("logging_restaurado")
def test_por_defecto_el_archivo_recibe_debug_en_un_archivo_rotativo(tmp_path):
    ruta = configurar_logging(archivo=tmp_path / "app.log")

    log.debug("conexión prestada (en uso 1)")

    assert LINEA.match(_lineas(ruta)[-1]).group("nivel", "mensaje") == (
        "DEBUG",
        "conexión prestada (en uso 1)",
    )
    rotativos = [
        manejador
        for manejador in logging.getLogger().handlers
        if isinstance(manejador, logging.handlers.RotatingFileHandler)
    ]
    assert [manejador.baseFilename for manejador in rotativos] == [str(ruta)]
    assert rotativos[0].maxBytes > 0


@pytest.mark.usefixtures("logging_restaurado")
def test_la_consola_solo_muestra_desde_warning_y_solo_el_nivel_y_el_mensaje(tmp_path, capsys):
    configurar_logging("DEBUG", tmp_path / "app.log")

    log.debug("detalle del pool")
    log.info("conexión devuelta")
    log.warning("posible fuga de conexión")
    log.error("servidor caído")

    consola = capsys.readouterr()
    # Solo el nivel en español y el mensaje: la hora y el módulo:línea son para el archivo.
    assert consola.err.splitlines() == ["AVISO: posible fuga de conexión", "ERROR: servidor caído"]
    assert consola.out == ""
    assert len(_lineas(tmp_path / "app.log")) == 4


@pytest.mark.usefixtures("logging_restaurado")
def test_configurar_dos_veces_no_duplica_las_lineas(tmp_path):
    configurar_logging("DEBUG", tmp_path / "app.log")
    configurar_logging("DEBUG", tmp_path / "app.log")

    log.info("una sola vez")

    lineas = _lineas(tmp_path / "app.log")
    assert sum(linea.endswith("] una sola vez") for linea in lineas) == 1
    assert len(logging.getLogger().handlers) == 2
