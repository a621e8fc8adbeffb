"""Recorrer toda la tabla con `iterar()` o con `seleccionar()`: tiempo y memoria.

Cada método se mide en un proceso propio (`python -m benchmarks.recorrer iterar`), para
que la memoria de uno no cuente en el otro. El proceso imprime una línea JSON con las
filas, cuántas llegaron en orden de id, los segundos y cuánto creció su memoria residente
máxima sobre la línea base. Los tests del DAO usan la misma medida.
"""

import json
import resource
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

RAIZ = Path(__file__).resolve().parent.parent
METODOS = ("iterar", "seleccionar")
LIMITE_SEGUNDOS = 600  # recorrer un millón de filas tarda segundos: más sería un cuelgue


@dataclass(frozen=True)
class Recorrido:
    metodo: str
    filas: int
    ordenadas: int  # filas con un id mayor que la anterior: todas, si llegan por orden
    segundos: float
    crecimiento_kib: int


def rss_maximo_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # en Linux, KiB


def recorrer(metodo: str) -> Recorrido:
    """Recorre la tabla en este proceso con `metodo` y mide."""
    from acceso_datos.conexion import Conexion
    from acceso_datos.usuario_dao import UsuarioDAO

    UsuarioDAO.contar()  # importaciones, pool y una conexión abierta: la línea base
    base = rss_maximo_kib()
    inicio = time.perf_counter()
    usuarios = UsuarioDAO.iterar() if metodo == "iterar" else UsuarioDAO.seleccionar()
    filas = ordenadas = anterior = 0
    for usuario in usuarios:
        id_usuario = usuario.id_usuario
        assert id_usuario is not None  # leído de la base: siempre lleva su id
        filas += 1
        ordenadas += id_usuario > anterior
        anterior = id_usuario
    segundos = time.perf_counter() - inicio
    crecimiento = rss_maximo_kib() - base
    Conexion.cerrar_conexiones()
    return Recorrido(metodo, filas, ordenadas, segundos, crecimiento)


def medir_en_subproceso(metodo: str, entorno: Mapping[str, str]) -> Recorrido:
    """Lanza un proceso nuevo que recorre la tabla con `metodo` y lee su resultado."""
    # Linux conserva el RSS máximo a través de exec: lanzado desde este proceso, que ya ocupa
    # decenas de MiB, el hijo heredaría ese máximo como suelo y taparía el crecimiento.
    # Con un `sh` intermedio, el hijo nace de un fork de un proceso pequeño.
    orden = [sys.executable, "-m", "benchmarks.recorrer", metodo]
    resultado = subprocess.run(
        ["sh", "-c", '"$@"; exit $?', "sh", *orden],
        cwd=RAIZ,
        env=entorno,
        capture_output=True,
        text=True,
        timeout=LIMITE_SEGUNDOS,
        check=False,
    )
    if resultado.returncode != 0:
        ultima = (resultado.stderr.strip().splitlines() or ["sin salida"])[-1]
        raise RuntimeError(f"recorrer con {metodo} falló: {ultima}")
    return Recorrido(**json.loads(resultado.stdout.splitlines()[-1]))


def main() -> int:
    if len(sys.argv) != 2 or sys.argv[1] not in METODOS:
        print(f"Uso: python -m benchmarks.recorrer {{{'|'.join(METODOS)}}}", file=sys.stderr)
        return 2
    print(json.dumps(recorrer(sys.argv[1]).__dict__))
    return 0


if __name__ == "__main__":
    sys.exit(main())
