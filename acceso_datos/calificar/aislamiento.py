"""Dónde y cómo se ejecuta una entrega: una copia temporal, un entorno limpio y un proceso
con límites que se mata entero (con su grupo) si pasa de su tiempo.

Protege de los errores de un alumno (un bucle sin fin, una salida sin fin, un módulo que
escribe al importarse, una contraseña escrita para otro servidor), no de un alumno que
quiera hacer daño a propósito: el proceso corre con el mismo usuario que el calificador.
"""

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from acceso_datos.calificar.piezas import CARPETAS_AJENAS
from acceso_datos.formato import segundos

SONDA = Path(__file__).with_name("sonda.py")
TAMANO_MAXIMO_DE_ARCHIVO = 5_000_000  # bytes: un archivo mayor de la entrega no se copia
RUTA_DEL_SISTEMA = "/usr/local/bin:/usr/bin:/bin"
# Del entorno del profesor, el hijo solo hereda lo que necesita la cobertura de los tests
# (`patch = ["subprocess"]` pasa su configuración en COVERAGE_PROCESS_CONFIG).
HEREDADAS = ("COVERAGE_",)
MEMORIA = 1024 * 2**20  # bytes de memoria virtual por proceso
ARCHIVO = 16 * 2**20  # bytes por archivo escrito (la salida incluida): corta una salida sin fin
CPU = 120  # segundos de CPU por proceso: un bucle sin fin se corta aunque nadie lo mate
LEIDO_COMO_MAXIMO = 200_000  # caracteres de la salida que se guardan para el informe
VISTAZO = 0.2  # s: cada cuánto se mira si la sonda sigue anotando resultados


@dataclass
class Carpetas:
    """Las carpetas temporales de una entrega: su copia y lo que usa el proceso."""

    raiz: Path  # contiene la copia: es la ruta de importación de `paquete.modulo`
    copia: Path  # la entrega copiada, con el nombre de su paquete si lo tiene
    casa: Path  # HOME del proceso
    temporal: Path  # TMPDIR del proceso
    propias: Path  # lo del calificador: encargos, resultados, salidas

    def de_la_entrega(self) -> list[Path]:
        """Donde la entrega puede haber escrito (registros, archivos)."""
        return [self.raiz, self.casa, self.temporal]


def preparar_carpetas(entrega: Path, temporal: Path, nombre_copia: str) -> Carpetas:
    """Copia la entrega en `temporal` (sin entornos virtuales, cachés ni archivos enormes)."""
    raiz = temporal / "raiz"
    carpetas = Carpetas(
        raiz=raiz,
        copia=raiz / nombre_copia,
        casa=temporal / "casa",
        temporal=temporal / "tmp",
        propias=temporal / "calificador",
    )

    def ignorar(directorio: str, nombres: list[str]) -> set[str]:
        return {
            nombre
            for nombre in nombres
            if nombre in CARPETAS_AJENAS
            or nombre.endswith(".pyc")
            or (
                os.path.isfile(os.path.join(directorio, nombre))
                and os.path.getsize(os.path.join(directorio, nombre)) > TAMANO_MAXIMO_DE_ARCHIVO
            )
        }

    # symlinks=True: un enlace de la entrega se copia como enlace, sin seguirlo.
    shutil.copytree(entrega, carpetas.copia, symlinks=True, ignore=ignorar)
    for carpeta in (carpetas.casa, carpetas.temporal, carpetas.propias):
        carpeta.mkdir(parents=True)
    return carpetas


def entorno_del_hijo(carpetas: Carpetas, origen: dict[str, str] | None = None) -> dict[str, str]:
    """El entorno del proceso de la entrega: nada del profesor salvo la cobertura."""
    heredado = os.environ if origen is None else origen
    entorno = {nombre: valor for nombre, valor in heredado.items() if nombre.startswith(HEREDADAS)}
    entorno.update(
        PATH=RUTA_DEL_SISTEMA,
        HOME=str(carpetas.casa),
        TMPDIR=str(carpetas.temporal),
        LANG="C.UTF-8",
        LC_ALL="C.UTF-8",
    )
    return entorno


@dataclass
class Ejecucion:
    """Cómo terminó un proceso de la entrega y lo que dejó escrito."""

    codigo: int | None  # None: lo mató el calificador al pasar su tiempo
    parado: str = ""  # por qué lo mató el calificador
    lineas: list[dict[str, Any]] = field(default_factory=list)  # los resultados de la sonda
    salida: str = ""
    errores: str = ""

    def motivo_del_final(self) -> str:
        """Por qué terminó, en palabras, si no terminó bien."""
        if self.codigo is None:
            return self.parado
        if self.codigo < 0:
            return f"terminó por la señal {signal.Signals(-self.codigo).name}"
        return f"terminó de golpe con el código {self.codigo} (¿os._exit()?)"


def ejecutar_sonda(
    carpetas: Carpetas,
    encargo: dict[str, Any],
    limite: float,
    nombre: str,
    entrada: str | None = None,
    limite_por_paso: float | None = None,
) -> Ejecucion:
    """Ejecuta la sonda con `encargo` en un proceso aislado y lee sus resultados.

    Con `limite_por_paso`, además, se mata el proceso si pasa ese tiempo sin anotar nada
    (una comprobación colgada que ni su propia alarma detiene)."""
    propias = carpetas.propias
    resultados = propias / f"{nombre}.jsonl"
    encargo = {
        **encargo,
        "raiz": str(carpetas.raiz),
        "copia": str(carpetas.copia),
        "resultados": str(resultados),
    }
    archivo_encargo = propias / f"{nombre}.json"
    archivo_encargo.write_text(json.dumps(encargo), encoding="utf-8")
    archivo_encargo.chmod(0o600)
    orden = [sys.executable, "-I", str(SONDA), str(archivo_encargo)]
    resultados.touch()

    def avanza() -> int:
        return resultados.stat().st_size

    ejecucion = ejecutar(orden, carpetas, limite, nombre, entrada, avanza, limite_por_paso)
    ejecucion.lineas = leer_resultados(resultados)
    return ejecucion


def leer_resultados(ruta: Path) -> list[dict[str, Any]]:
    """Las líneas JSON del archivo de resultados, sin la última si quedó a medias (el
    proceso murió escribiéndola)."""
    lineas = []
    for linea in ruta.read_text(encoding="utf-8").splitlines():
        try:
            lineas.append(json.loads(linea))
        except json.JSONDecodeError:
            break
    return lineas


def ejecutar(
    orden: list[str],
    carpetas: Carpetas,
    limite: float,
    nombre: str,
    entrada: str | None = None,
    avance: Callable[[], int] | None = None,
    limite_por_paso: float | None = None,
) -> Ejecucion:
    """Ejecuta `orden` en la copia, con el entorno limpio y `entrada` como su entrada
    estándar; si pasa de `limite` segundos (o `avance()` no cambia en `limite_por_paso`),
    mata su grupo de procesos."""
    propias = carpetas.propias
    archivo_entrada = propias / f"{nombre}.entrada"
    archivo_entrada.write_text(entrada or "", encoding="utf-8")
    rutas = {flujo: propias / f"{nombre}.{flujo}" for flujo in ("salida", "errores")}
    with (
        open(archivo_entrada, "rb") as de_entrada,
        open(rutas["salida"], "wb") as de_salida,
        open(rutas["errores"], "wb") as de_errores,
    ):
        # Una sesión nueva: el grupo entero (la entrega y lo que arranque) se mata a la vez.
        proceso = subprocess.Popen(
            orden,
            cwd=carpetas.copia,
            env=entorno_del_hijo(carpetas),
            stdin=de_entrada,
            stdout=de_salida,
            stderr=de_errores,
            start_new_session=True,
        )
        try:
            codigo, parado = _esperar(proceso, limite, avance, limite_por_paso)
        except BaseException:
            codigo = None  # Ctrl-C del profesor: el grupo se mata igual, y sigue el Ctrl-C
            raise
        finally:
            if codigo is None:
                # Se mata el grupo antes de recoger al proceso: mientras no se recoge, su
                # número no puede pasar a otro grupo.
                _matar_grupo(proceso.pid)
                proceso.wait()
    return Ejecucion(
        codigo,
        parado,
        salida=_leer(rutas["salida"]),
        errores=_leer(rutas["errores"]),
    )


def _esperar(
    proceso: "subprocess.Popen[bytes]",
    limite: float,
    avance: Callable[[], int] | None,
    limite_por_paso: float | None,
) -> tuple[int | None, str]:
    """El código de salida del proceso; None, y el porqué, si pasó de un límite."""
    pasado = f"siguió en marcha más de {segundos(limite, None)} y se detuvo"
    if avance is None or limite_por_paso is None:
        try:
            return proceso.wait(limite), ""
        except subprocess.TimeoutExpired:
            return None, pasado
    fin = time.monotonic() + limite
    visto, desde = avance(), time.monotonic()
    while True:
        try:
            return proceso.wait(min(VISTAZO, max(fin - time.monotonic(), 0))), ""
        except subprocess.TimeoutExpired:
            pass
        ahora = time.monotonic()
        if avance() != visto:
            visto, desde = avance(), ahora
        if ahora - desde >= limite_por_paso:
            return (
                None,
                f"siguió en marcha más de {segundos(limite_por_paso, None)} sin avanzar y se "
                "detuvo",
            )
        if ahora >= fin:
            return None, pasado


def _matar_grupo(grupo: int) -> None:
    """Mata el grupo entero: el proceso y lo que la entrega haya arrancado."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(grupo, signal.SIGKILL)


def _leer(ruta: Path) -> str:
    with open(ruta, "rb") as archivo:
        return archivo.read(LEIDO_COMO_MAXIMO).decode("utf-8", errors="replace")
