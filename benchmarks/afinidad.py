"""Cliente y servidor en núcleos fijos, para comparar operaciones de un hilo.

En una máquina de pocos núcleos, un mismo viaje al servidor tarda 60 µs o 250 µs según
que el proceso del servidor caiga en el núcleo del cliente o en otro, y eso cambia de un
momento a otro y de una conexión a otra: dos variantes medidas a la vez, cada una con su
conexión, dan cocientes de 0,3× o de 2× sin que su código cambie. Con el cliente en un
núcleo y el servidor en otro (el postmaster y sus procesos; los que cree después heredan
su afinidad), todas viajan igual y el cociente mide solo el código de cada una.

Solo se puede en Linux, con al menos 2 núcleos y un servidor en la misma máquina cuyos
procesos se dejen cambiar (los del mismo usuario, o siendo root); si no, se mide sin fijar
y se dice por qué.
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg2

CLIENTE, SERVIDOR = 0, 1


@contextmanager
def nucleos_fijos(parametros: dict[str, Any]) -> Iterator[str]:
    """Mientras dura, este proceso en el núcleo 0 y el servidor en el 1; da cómo se midió."""
    if not hasattr(os, "sched_setaffinity") or len(os.sched_getaffinity(0)) < 2:
        yield "sin fijar núcleos (hace falta Linux y al menos 2 núcleos)"
        return
    postmaster = _postmaster(parametros)
    if postmaster is None:
        yield "sin fijar núcleos (el servidor no está en esta máquina)"
        return
    cliente_antes = os.sched_getaffinity(0)
    procesos = [postmaster, *_hijos(postmaster)]
    antes = {}
    try:
        for pid in procesos:
            antes[pid] = os.sched_getaffinity(pid)
            os.sched_setaffinity(pid, {SERVIDOR})
    except OSError as error:  # otro usuario sin permiso, o un proceso que ya terminó
        _devolver(antes)
        yield f"sin fijar núcleos ({error.strerror})"
        return
    os.sched_setaffinity(0, {CLIENTE})
    try:
        yield f"el cliente en el núcleo {CLIENTE} y el servidor en el {SERVIDOR}"
    finally:
        os.sched_setaffinity(0, cliente_antes)
        todos = dict.fromkeys([postmaster, *_hijos(postmaster)], antes[postmaster])
        _devolver({**todos, **antes})


def _postmaster(parametros: dict[str, Any]) -> int | None:
    """El pid del postmaster, si el servidor está en esta máquina: el padre del proceso
    que atiende una conexión."""
    conexion = psycopg2.connect(**parametros)
    try:  # con la conexión abierta: al cerrarla, su proceso termina
        padre = _padre(conexion.get_backend_pid())
    finally:
        conexion.close()
    return padre if padre is not None and Path(f"/proc/{padre}").exists() else None


def _padre(pid: int) -> int | None:
    """El proceso padre de `pid`, o None si no está (en esta máquina) o ya terminó."""
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return None


def _hijos(padre: int) -> list[int]:
    procesos = (int(carpeta.name) for carpeta in Path("/proc").glob("[0-9]*"))
    return [pid for pid in procesos if _padre(pid) == padre]


def _devolver(afinidades: dict[int, set[int]]) -> None:
    for pid, nucleos in afinidades.items():
        try:
            os.sched_setaffinity(pid, nucleos)
        except OSError:  # ya terminó
            continue
