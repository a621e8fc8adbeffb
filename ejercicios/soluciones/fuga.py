"""Ejercicio 2, una solución: pedir una conexión y no devolverla nunca.

Ejecútelo con `DB_POOL_LEAK_WARN=1 .venv/bin/python -m ejercicios.soluciones.fuga` y busque
«Posible fuga» en el log (`acceso_datos.log`).
"""

import time

from acceso_datos import Conexion
from acceso_datos.configuracion import leer_configuracion
from acceso_datos.consola import escribir_linea_a_linea
from acceso_datos.logger_base import configurar_logging


def main() -> None:
    configuracion = leer_configuracion()
    configurar_logging(configuracion.log_level, configuracion.log_file)
    try:
        olvidada = Conexion.obtener_conexion()  # y nunca un liberar_conexion(olvidada)
        print(f"Conexión prestada y olvidada: {olvidada.get_backend_pid()} en el servidor.")
        # El pool mira si hay fugas cada vez que presta una conexión o cuenta las suyas.
        time.sleep(configuracion.pool_leak_warn + 0.5)
        print(f"Contadores tras la espera: {Conexion.estadisticas()}")
    finally:
        Conexion.cerrar_conexiones()


if __name__ == "__main__":
    escribir_linea_a_linea()  # la primera línea, antes de la espera
    main()
