"""`make demo` (`python -m acceso_datos.demo_pool`): el pool de conexiones, paso a paso.

Es la demostración del curso hecha para aprender: agota un pool de 5 conexiones, enseña
qué le pasa a la sexta petición, cómo la recibe quien espera cuando otra se devuelve y
cómo 20 hilos comparten 5 conexiones sin errores ni fugas.
"""

import os
import sys
import textwrap
import threading
import time

from acceso_datos.conexion import Conexion, ConexionDelPool
from acceso_datos.configuracion import leer_configuracion
from acceso_datos.cursor_del_pool import CursorDelPool
from acceso_datos.errores import ConexionError, ErrorAccesoDatos, PoolAgotadoError
from acceso_datos.logger_base import configurar_logging
from acceso_datos.senales import ejecutar_atendiendo_senales

MAXIMO = 5
MINIMO = 1
ESPERA_SEXTA = 2.0  # segundos que la sexta petición espera antes de rendirse
HILOS = 20
OPERACIONES_POR_HILO = 25
# Retener la conexión 2 ms, como una consulta corta de verdad, hace que los hilos se
# crucen y tengan que esperar turno; con un SELECT 1 casi nunca coincidirían.
_CONSULTA = "SELECT pg_backend_pid() FROM pg_sleep(0.002)"
LIMITE_HILOS = 60.0  # segundos: si los hilos tardan más, algo va mal y se dice


def main() -> int:
    """Ejecuta la demostración; devuelve 0 si todo salió como se explica y 1 si no."""
    # La configuración se lee al crear el pool, así que basta con fijar el tamaño aquí
    # antes del primer uso; el resto (servidor, base, usuario) sigue siendo el vigente.
    os.environ["DB_POOL_MAX"] = str(MAXIMO)
    os.environ["DB_POOL_MIN"] = str(MINIMO)
    try:
        configuracion = leer_configuracion()
    except ErrorAccesoDatos as error:
        print(f"Error de configuración: {error}", file=sys.stderr)
        return 1
    ruta_log = configurar_logging(configuracion.log_level, configuracion.log_file)

    titulo("Demostración del pool de conexiones")
    print(f"Base de datos: {configuracion.destino()}")
    print(
        f"Para la demostración el pool se limita a {MAXIMO} conexiones como máximo "
        f"(DB_POOL_MAX={MAXIMO})\ny a {MINIMO} abierta como mínimo (DB_POOL_MIN={MINIMO}), "
        "los valores del SimpleConnectionPool del curso."
    )
    print(f"Cada préstamo y cada devolución quedan anotados en el log: {ruta_log}")
    if configuracion.embebido and not (configuracion.directorio_embebido / "PG_VERSION").exists():
        print("Preparando el PostgreSQL embebido por primera vez (unos segundos)...")
    try:
        Conexion.obtener_pool()
        conexiones = tomar_cinco()
        pedir_sexta_sin_exito()
        conexiones = devolver_una_mientras_otro_espera(conexiones)
        devolver_todas(conexiones)
        correcto = veinte_hilos()
    except ConexionError as error:
        print(f"\nSin conexión con la base de datos: {error}", file=sys.stderr)
        return 1
    except ErrorAccesoDatos as error:
        print(f"\nError: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nInterrumpido.", file=sys.stderr)
        return 1
    finally:
        Conexion.cerrar_conexiones()
    return 0 if correcto else 1


def tomar_cinco() -> list[ConexionDelPool]:
    """Paso 1: pide las cinco conexiones y muestra los contadores tras cada una."""
    titulo(f"Paso 1. Tomar {MAXIMO} conexiones, una tras otra")
    print(f"Al empezar: {contadores()}")
    conexiones = []
    for numero in range(1, MAXIMO + 1):
        conexiones.append(Conexion.obtener_conexion())
        print(f"  conexión {numero} tomada   -> {contadores()}")
    print(f"El pool está agotado: las {MAXIMO} conexiones están prestadas.")
    return conexiones


def pedir_sexta_sin_exito() -> None:
    """Paso 2: la sexta petición espera su turno y, como nadie devuelve nada, se rinde."""
    titulo(f"Paso 2. Pedir una sexta conexión (esperando como máximo {ESPERA_SEXTA:g} s)")
    print("Nadie devuelve ninguna, así que la petición espera y al final se rinde...")
    inicio = time.monotonic()
    try:
        conexion = Conexion.obtener_conexion(timeout=ESPERA_SEXTA)
    except PoolAgotadoError as error:
        print(f"  PoolAgotadoError tras {time.monotonic() - inicio:.1f} s:")
        print(textwrap.fill(f"«{error}»", width=88, initial_indent="  ", subsequent_indent="   "))
    else:
        Conexion.liberar_conexion(conexion)
        raise ErrorAccesoDatos("La sexta conexión no debía conseguirse con el pool agotado.")
    print(
        "El SimpleConnectionPool del curso fallaba al instante con «connection pool "
        "exhausted»;\neste pool espera su turno y solo falla si el tiempo se acaba."
    )


def devolver_una_mientras_otro_espera(
    conexiones: list[ConexionDelPool],
) -> list[ConexionDelPool]:
    """Paso 3: otro hilo pide la sexta; al devolver una, el pool se la pasa a él."""
    titulo("Paso 3. Devolver una conexión mientras otro hilo espera la sexta")
    pedida: dict = {}

    def pedir_sexta() -> None:
        inicio = time.monotonic()
        try:
            pedida["conexion"] = Conexion.obtener_conexion(timeout=10)
            pedida["espera"] = time.monotonic() - inicio
        except ErrorAccesoDatos as error:
            pedida["error"] = error

    hilo = threading.Thread(target=pedir_sexta, name="pide-la-sexta", daemon=True)
    hilo.start()
    esperar_hasta(lambda: Conexion.estadisticas()["esperando"] == 1, limite=5)
    print(f"  un hilo pide la sexta y espera -> {contadores()}")
    devuelta = conexiones.pop(0)
    Conexion.liberar_conexion(devuelta)
    print("  se devuelve la conexión 1")
    hilo.join(timeout=10)
    if "conexion" not in pedida:
        raise pedida.get("error") or ErrorAccesoDatos("El hilo no recibió la sexta conexión.")
    sexta = pedida["conexion"]
    print(f"  el hilo obtuvo la sexta tras esperar {pedida['espera']:.2f} s -> {contadores()}")
    if sexta is devuelta:
        print(
            "Es la misma conexión que se acaba de devolver: el pool se la pasó al que\n"
            "esperaba, sin cerrarla ni abrir otra (abrir una cuesta milisegundos)."
        )
    conexiones.append(sexta)
    return conexiones


def devolver_todas(conexiones: list[ConexionDelPool]) -> None:
    """Paso 4: devuelve las cinco; quedan abiertas y libres para reutilizarlas."""
    titulo("Paso 4. Devolver todas las conexiones")
    while conexiones:
        Conexion.liberar_conexion(conexiones.pop())
    print(f"  {contadores()}")
    print(
        "Las conexiones devueltas siguen abiertas («libres»): el siguiente que pida una\n"
        "no tendrá que esperar a que se abra."
    )


class Medidor:
    """Cuenta, entre varios hilos, las operaciones hechas y el pico de conexiones a la vez."""

    def __init__(self):
        # Sin el candado, dos hilos podrían leer y escribir `en_uso` a la vez y perder
        # una suma: el mismo problema que el pool resuelve con el suyo.
        self._candado = threading.Lock()
        self.en_uso = 0
        self.pico = 0
        self.operaciones = 0
        self.procesos_servidor: set[int] = set()
        self.errores: list[BaseException] = []

    def entra(self) -> None:
        with self._candado:
            self.en_uso += 1
            self.pico = max(self.pico, self.en_uso)

    def sale(self, pid_servidor: int | None) -> None:
        with self._candado:
            self.en_uso -= 1
            if pid_servidor is not None:
                self.operaciones += 1
                self.procesos_servidor.add(pid_servidor)

    def fallo(self, error: BaseException) -> None:
        with self._candado:
            self.errores.append(error)


def veinte_hilos() -> bool:
    """Paso 5: 20 hilos hacen cientos de consultas compartiendo las 5 conexiones."""
    total = HILOS * OPERACIONES_POR_HILO
    titulo(f"Paso 5. {HILOS} hilos comparten las {MAXIMO} conexiones")
    print(
        f"Cada hilo hace {OPERACIONES_POR_HILO} consultas con `with CursorDelPool() as cursor:` "
        f"({total} en total).\nCuando las {MAXIMO} están prestadas, el resto espera su turno."
    )
    medidor = Medidor()
    salida = threading.Barrier(HILOS)

    def trabajar() -> None:
        try:
            salida.wait(timeout=10)  # que todos arranquen a la vez y compitan de verdad
            for _ in range(OPERACIONES_POR_HILO):
                with CursorDelPool() as cursor:
                    medidor.entra()
                    pid_servidor = None
                    try:
                        cursor.execute(_CONSULTA)
                        pid_servidor = cursor.fetchone()[0]
                    finally:
                        medidor.sale(pid_servidor)
        except Exception as error:
            medidor.fallo(error)

    hilos = [
        threading.Thread(target=trabajar, name=f"hilo-{numero}", daemon=True)
        for numero in range(1, HILOS + 1)
    ]
    inicio = time.monotonic()
    for hilo in hilos:
        hilo.start()
    limite = inicio + LIMITE_HILOS
    for hilo in hilos:
        hilo.join(timeout=max(0.0, limite - time.monotonic()))
    duracion = time.monotonic() - inicio
    vivos = sum(hilo.is_alive() for hilo in hilos)
    final = Conexion.estadisticas()

    print(
        f"  operaciones hechas: {medidor.operaciones} de {total} "
        f"(en {duracion:.2f} s, {medidor.operaciones / duracion:.0f} por segundo)"
    )
    print(f"  pico de conexiones en uso a la vez: {medidor.pico} (máximo del pool: {MAXIMO})")
    print(
        "  conexiones distintas del servidor que las atendieron: "
        f"{len(medidor.procesos_servidor)} (cada una es un proceso de PostgreSQL)"
    )
    print(f"  conexiones prestadas al terminar: {final['en_uso']} -> {contadores(final)}")

    if medidor.errores or vivos:
        print(f"\nAlgo falló: {len(medidor.errores)} errores y {vivos} hilos sin terminar.")
        for error in medidor.errores[:3]:
            print(f"  {type(error).__name__}: {error}")
        return False
    if final["en_uso"] != 0:
        print(f"\nQuedaron {final['en_uso']} conexiones prestadas: eso sería una fuga.")
        return False
    titulo("Conclusión")
    print(
        f"{HILOS} hilos hicieron {medidor.operaciones} operaciones con solo "
        f"{len(medidor.procesos_servidor)} conexiones, sin ningún error,\n"
        f"nunca hubo más de {MAXIMO} prestadas a la vez y no quedó nada prestado "
        "(en_uso = 0):\n`with CursorDelPool()` devuelve la conexión siempre, "
        "también cuando algo falla."
    )
    return True


def contadores(datos: dict[str, int] | None = None) -> str:
    """Los contadores de `Conexion.estadisticas()` en una línea."""
    datos = Conexion.estadisticas() if datos is None else datos
    return f"en_uso {datos['en_uso']}, libres {datos['libres']}, esperando {datos['esperando']}"


def esperar_hasta(condicion, limite: float) -> None:
    """Mira `condicion` cada 10 ms hasta que se cumple; pasado `limite` s, es un error."""
    fin = time.monotonic() + limite
    while not condicion():
        if time.monotonic() > fin:
            raise ErrorAccesoDatos(f"La demostración se quedó esperando más de {limite:g} s.")
        time.sleep(0.01)


def titulo(texto: str) -> None:
    """Un encabezado subrayado."""
    print(f"\n{texto}\n{'-' * len(texto)}")


if __name__ == "__main__":
    sys.exit(ejecutar_atendiendo_senales(main))
