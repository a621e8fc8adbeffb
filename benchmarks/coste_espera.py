"""Lo que cuesta, llamada a llamada, esperar con límite y limpiar la sesión al devolver.

Son costes de microsegundos: en las rondas de rendimiento se pierden en el ruido de una
máquina cargada. Aquí cada cosa se repite muchas veces, alternando con y sin, y se da la
mediana de cada una: el ruido afecta a las dos por igual y la mediana lo aparta.
"""

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg2

from acceso_datos.configuracion import leer_configuracion
from acceso_datos.pool import PoolConexiones
from benchmarks import variantes as v

REINICIO = "DISCARD ALL"  # el DB_POOL_RESET cuyo coste se mide


@dataclass(frozen=True)
class CosteEspera:
    consulta_us: float  # BEGIN, SELECT y COMMIT esperando dentro de libpq
    consulta_acotada_us: float  # lo mismo con la espera acotada (anotada para el vigía)
    devolver_us: float  # préstamo y devolución de una conexión limpia
    devolver_con_reinicio_us: float  # lo mismo con DB_POOL_RESET=DISCARD ALL

    @property
    def espera_extra_us(self) -> float:
        return self.consulta_acotada_us - self.consulta_us

    @property
    def reinicio_extra_us(self) -> float:
        return self.devolver_con_reinicio_us - self.devolver_us


def _mediana_us(tiempos: list[float]) -> float:
    return statistics.median(tiempos) * 1e6


def _cronometrar(funcion: Callable[[], object]) -> float:
    inicio = time.perf_counter()
    funcion()
    return time.perf_counter() - inicio


def medir_coste_espera(parametros: dict[str, Any], repeticiones: int) -> CosteEspera:
    """Medianas de `repeticiones` llamadas de cada clase, alternando con y sin."""
    sin_limite = psycopg2.connect(**parametros)
    acotada = psycopg2.connect(connection_factory=v.ConexionAcotada, **parametros)
    sin_reinicio = PoolConexiones(leer_configuracion().con(pool_reset=""))
    con_reinicio = PoolConexiones(leer_configuracion().con(pool_reset=REINICIO))
    llamadas = {
        "sin": lambda: v.buscar_y_confirmar(sin_limite, 1),
        "con": lambda: v.buscar_y_confirmar(acotada, 1),
        "dev": lambda: sin_reinicio.devolver(sin_reinicio.prestar()),
        "reinicio": lambda: con_reinicio.devolver(con_reinicio.prestar()),
    }
    tiempos: dict[str, list[float]] = {clave: [] for clave in llamadas}
    try:
        for repeticion in range(repeticiones):
            for par in (("sin", "con"), ("dev", "reinicio")):
                # Cada una va primero la mitad de las veces: la primera encuentra más frío
                # el proceso del servidor, y eso no debe cargarse siempre al mismo lado.
                for clave in par if repeticion % 2 else par[::-1]:
                    tiempos[clave].append(_cronometrar(llamadas[clave]))
    finally:
        sin_limite.close()
        acotada.close()
        sin_reinicio.cerrar()
        con_reinicio.cerrar()
    return CosteEspera(*(_mediana_us(tiempos[clave]) for clave in tiempos))
