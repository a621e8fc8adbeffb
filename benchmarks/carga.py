"""Hilos que repiten la operación durante un tiempo fijo, y rondas alternadas.

Cada ronda pone a N hilos a repetir la operación de una variante durante `duracion`
segundos y cuenta las que salieron bien. En cada ronda se mide cada variante una vez, en
un orden al azar distinto, así que una racha de ruido en la máquina las afecta a todas
por igual; el cociente de dos variantes se calcula dentro de cada ronda.
"""

import random
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from benchmarks.variantes import Operacion

ESPERA_ARRANQUE = 30.0  # segundos para que todos los hilos lleguen a la salida
MARGEN_PARADA = 60.0  # segundos para que terminen tras la señal: más sería un cuelgue
SEMILLA = 2026  # el orden de las variantes en cada ronda es al azar, pero repetible


@dataclass(frozen=True)
class Ronda:
    """Lo que hicieron N hilos durante una ronda."""

    hechas: int
    rechazadas: int
    segundos: float
    # Hilos que no acabaron ninguna operación antes de la señal de parar: un pool que no
    # reparte por turno puede ir muy rápido con unos pocos hilos mientras los demás esperan.
    parados: int = 0

    @property
    def ops_por_segundo(self) -> float:
        return self.hechas / self.segundos


@dataclass
class Celda:
    """Una variante a un número de hilos: sus rondas, o por qué no se midió."""

    rondas: list[Ronda] = field(default_factory=list)
    omitida: str | None = None

    @property
    def mediana(self) -> float:
        return statistics.median(ronda.ops_por_segundo for ronda in self.rondas)

    @property
    def rechazadas(self) -> int:
        return sum(ronda.rechazadas for ronda in self.rondas)

    @property
    def intentos(self) -> int:
        return sum(ronda.hechas + ronda.rechazadas for ronda in self.rondas)

    @property
    def parados(self) -> float:
        """Mediana, entre rondas, de los hilos que no hicieron nada en toda la ronda."""
        return statistics.median(ronda.parados for ronda in self.rondas)


@dataclass(frozen=True)
class Cociente:
    """El cociente de ops/s de dos celdas ronda a ronda: mediana, mínimo y máximo."""

    mediana: float
    minimo: float
    maximo: float


def cociente(celda: Celda, referencia: Celda) -> Cociente:
    """Cuántas veces las ops/s de `referencia` hace `celda`, comparando la misma ronda."""
    valores = [
        mia.ops_por_segundo / suya.ops_por_segundo
        for mia, suya in zip(celda.rondas, referencia.rondas, strict=True)
    ]
    return Cociente(statistics.median(valores), min(valores), max(valores))


def medir_ronda(operaciones: list[Operacion], duracion: float) -> Ronda:
    """Un hilo por operación, todos a la vez, durante `duracion` segundos."""
    salida = threading.Barrier(len(operaciones) + 1)
    parar = threading.Event()
    hechas = [0] * len(operaciones)
    rechazadas = [0] * len(operaciones)
    a_tiempo = [0] * len(operaciones)  # las acabadas antes de la señal de parar
    errores: list[BaseException] = []

    def trabajar(indice: int) -> None:
        operacion = operaciones[indice]
        bien = mal = 0
        try:
            salida.wait(timeout=ESPERA_ARRANQUE)
            while not parar.is_set():
                if operacion():
                    bien += 1
                else:
                    mal += 1
                if not a_tiempo[indice] and not parar.is_set():
                    a_tiempo[indice] = 1
        except BaseException as error:
            errores.append(error)
            # La ronda ya no vale: que los demás paren ya, no al final de `duracion`.
            parar.set()
        hechas[indice], rechazadas[indice] = bien, mal

    hilos = [
        threading.Thread(target=trabajar, args=(indice,), daemon=True)
        for indice in range(len(operaciones))
    ]
    for hilo in hilos:
        hilo.start()
    inicio = None
    try:
        salida.wait(timeout=ESPERA_ARRANQUE)
        inicio = time.perf_counter()
        # La ventana de medida: aquí esperar es medir, no sincronizar. Se acaba antes si un
        # hilo falla (pone `parar`). A trozos: un Ctrl-C que llega justo antes de que el hilo
        # se bloquee no se atiende hasta que vuelve a Python, y con una sola espera eso sería
        # al final de la ronda.
        fin = time.monotonic() + duracion
        while (restante := fin - time.monotonic()) > 0 and not parar.wait(min(restante, 0.1)):
            pass
    finally:
        # También si se interrumpe (Ctrl-C): ningún hilo debe seguir usando conexiones
        # mientras se cierran.
        parar.set()
        if inicio is None:
            # Nadie ha salido: abort() suelta a los que esperan. Después ya no, porque
            # haría fallar a un hilo que, con muchos, aún no hubiera despertado.
            salida.abort()
        limite = time.monotonic() + MARGEN_PARADA
        for hilo in hilos:
            hilo.join(timeout=max(0.0, limite - time.monotonic()))
    segundos = time.perf_counter() - inicio
    if errores:
        fallaron = "1 hilo falló" if len(errores) == 1 else f"{len(errores)} hilos fallaron"
        raise RuntimeError(f"{fallaron}; el primero: {errores[0]!r}")
    if any(hilo.is_alive() for hilo in hilos):
        raise RuntimeError(f"hilos sin terminar {MARGEN_PARADA:.0f} s después de la señal")
    return Ronda(sum(hechas), sum(rechazadas), segundos, a_tiempo.count(0))


def medir_en_rondas(
    preparadas: dict[str, list[Operacion]],
    rondas: int,
    duracion: float,
    avisar: Callable[[int, str], None],
    preparar: Callable[[str], None] = lambda clave: None,
) -> dict[str, Celda]:
    """Una ronda corta de calentamiento por variante y luego `rondas` rondas alternadas.

    `preparadas` da, por clave de variante, la operación de cada hilo. `avisar(ronda, clave)`
    se llama antes de medir cada una, para el progreso (ronda 0 = calentamiento), y
    `preparar(clave)` justo antes, para dejar el proceso como esa variante lo necesita.
    """
    celdas = {clave: Celda() for clave in preparadas}
    claves = list(preparadas)
    azar = random.Random(SEMILLA)
    for clave in claves:
        avisar(0, clave)
        preparar(clave)
        medir_ronda(preparadas[clave], duracion / 4)  # abre conexiones, llena cachés
    for numero in range(rondas):
        # Un orden al azar en cada ronda (repetible por la semilla): con un orden fijo que
        # rota, cada variante va siempre tras la misma (el control, tras el nuestro), y un
        # efecto del orden se confundiría con una diferencia entre variantes.
        for clave in azar.sample(claves, len(claves)):
            avisar(numero + 1, clave)
            preparar(clave)
            celdas[clave].rondas.append(medir_ronda(preparadas[clave], duracion))
    return celdas
