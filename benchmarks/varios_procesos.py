"""Varios procesos a la vez, cada uno con su pool y sus hilos, como varias copias del programa.

`python -m benchmarks.varios_procesos HILOS` es un trabajador: toma la configuración del
entorno (DB_*, DATABASE_URL, DB_REPLICAS), escribe «listo» y, por cada orden que le llega
en una línea de su entrada (`{"segundos": 1.0}` o `{"operaciones": 20}`), pone a HILOS
hilos a repetir `UsuarioDAO.buscar_por_id` y responde con una línea JSON: las que salieron
bien, los errores de la capa de datos por clase (con algún mensaje de muestra; aparte,
cuántos fueron por falta de huecos en el servidor, SQLSTATE 53300), dónde se sirvieron las
lecturas (réplica o primario) y cualquier otro error, que sería un fallo. Con `"sola"`, la
lectura va sola, como la de un programa (y con réplicas, a una réplica al día); sin él, en
una transacción del hilo. Con `"escribir_cada": N`, una de cada N operaciones escribe.
`Trabajadores` los lanza y les da las órdenes a la vez. Lo usan `make bench` (secciones 6
y 7) y los tests de muchos procesos.
"""

import json
import random
import select
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from pathlib import Path
from typing import IO, Any

from acceso_datos.conexion import Conexion
from acceso_datos.cursor_del_pool import CursorDelPool
from acceso_datos.errores import ErrorAccesoDatos
from acceso_datos.replicas import replicas_de
from acceso_datos.usuario import Usuario
from acceso_datos.usuario_dao import UsuarioDAO
from benchmarks.carga import SEMILLA, Celda, Ronda

RAIZ = Path(__file__).resolve().parent.parent
LISTO = "listo"
ESPERA = 60.0  # segundos para arrancar o para acabar una orden, además de su duración
MUESTRAS = 3  # mensajes de error distintos que se devuelven como ejemplo
# Lo que cada trabajador suma, además de las operaciones, y medir_formas junta por forma.
CONTADORES = ("sin_huecos", "en_replica", "en_primario")


def trabajar(hilos: int, orden: dict[str, Any], usuarios: int) -> dict[str, Any]:
    """Una orden en este proceso: `hilos` hilos repiten la operación; devuelve el resumen."""
    pausa = orden.get("pausa", 0.0)
    sola = orden.get("sola", False)
    escribir_cada = orden.get("escribir_cada", 0)
    limite = time.monotonic() + orden.get("segundos", float("inf"))
    por_hilo = orden.get("operaciones")
    hechas: Counter[int] = Counter()
    errores: Counter[str] = Counter()
    mensajes: list[str] = []
    crudos: list[str] = []
    sin_huecos = 0
    candado = threading.Lock()  # para los errores, que comparten contadores entre hilos
    salida = threading.Barrier(hilos)

    def operar(id_usuario: int, numero: int) -> None:
        if escribir_cada and numero % escribir_cada == 0:
            # Un cambio que deja el mismo nombre: escribe en el WAL sin cambiar los datos.
            UsuarioDAO.actualizar(Usuario(id_usuario, f"usuario_{id_usuario:07d}"))
        elif sola:
            UsuarioDAO.buscar_por_id(id_usuario)
        else:
            # `pausa` alarga la transacción: obliga a cada pool a usar sus conexiones.
            with CursorDelPool() as cursor:
                UsuarioDAO.buscar_por_id(id_usuario, cursor=cursor)
                if pausa:
                    cursor.execute("SELECT pg_sleep(%s)", (pausa,))

    def hilo(indice: int) -> None:
        nonlocal sin_huecos
        azar = random.Random(indice)
        salida.wait(ESPERA)
        hechas_aqui = 0
        while time.monotonic() < limite and (por_hilo is None or hechas_aqui < por_hilo):
            hechas_aqui += 1
            try:
                operar(azar.randint(1, usuarios), hechas_aqui)
                hechas[indice] += 1
            except ErrorAccesoDatos as error:
                with candado:
                    errores[type(error).__name__] += 1
                    sin_huecos += "53300" in str(error)
                    if len(mensajes) < MUESTRAS and str(error) not in mensajes:
                        mensajes.append(str(error))
                # Como un programa que reintenta: sin esperar, los hilos que no caben en el
                # servidor no harían otra cosa que pedir conexiones y se llevarían la CPU.
                time.sleep(pausa)
            except Exception as error:  # no debería pasar nunca: quien mide lo señala
                with candado:
                    crudos.append(repr(error))

    antes = _lecturas_servidas()
    inicio = time.perf_counter()
    grupo = [threading.Thread(target=hilo, args=(indice,)) for indice in range(hilos)]
    for uno in grupo:
        uno.start()
    for uno in grupo:
        uno.join()
    segundos = time.perf_counter() - inicio
    despues = _lecturas_servidas()
    return {
        "hechas": sum(hechas.values()),
        "segundos": segundos,
        "errores": dict(errores),
        "mensajes": mensajes,
        "crudos": crudos,
        "sin_huecos": sin_huecos,
        **{clave: despues[clave] - antes[clave] for clave in despues},
    }


def _lecturas_servidas() -> dict[str, int]:
    """Las lecturas que este proceso ha servido en una réplica y en el primario (0 y 0 sin
    réplicas)."""
    try:
        replicas = replicas_de(Conexion.obtener_pool())
    except ErrorAccesoDatos:  # el servidor no admite más conexiones: aún no hay pool
        replicas = None
    datos = replicas.estadisticas() if replicas is not None else {}
    return {clave: datos.get(clave, 0) for clave in ("en_replica", "en_primario")}


def main() -> int:
    hilos, usuarios = int(sys.argv[1]), int(sys.argv[2])
    print(LISTO, flush=True)  # ya importado todo: las importaciones no cuentan en la medida
    for linea in sys.stdin:
        print(json.dumps(trabajar(hilos, json.loads(linea), usuarios)), flush=True)
    return 0


class Trabajadores:
    """`procesos` trabajadores de `hilos` hilos cada uno, con el entorno dado.

    Se usa con `with`: al salir se cierran todos (y se matan si no cierran a tiempo).
    """

    def __init__(self, procesos: int, hilos: int, entorno: Mapping[str, str], usuarios: int):
        # La salida de error de todos, para explicar un fallo; vive hasta cerrar().
        self._errores = tempfile.TemporaryFile("w+")  # noqa: SIM115
        orden = [sys.executable, "-m", "benchmarks.varios_procesos", str(hilos), str(usuarios)]
        self._procesos = [
            subprocess.Popen(
                orden,
                cwd=RAIZ,
                env=dict(entorno),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self._errores,
                text=True,
            )
            for _ in range(procesos)
        ]
        try:
            for respuesta in self._leer_de_todos(ESPERA):
                if respuesta != LISTO:
                    raise RuntimeError(f"un trabajador no arrancó: {respuesta!r}")
        except BaseException:
            self.cerrar()
            raise

    def __enter__(self) -> "Trabajadores":
        return self

    def __exit__(self, *excepcion: object) -> None:
        self.cerrar()

    def ronda(self, orden: dict[str, Any]) -> list[dict[str, Any]]:
        """Da la misma orden a todos a la vez y devuelve la respuesta de cada uno."""
        texto = json.dumps(orden) + "\n"
        for proceso in self._procesos:
            entrada, _ = _tuberias(proceso)
            entrada.write(texto)
            entrada.flush()
        plazo = ESPERA + orden.get("segundos", ESPERA)
        return [json.loads(respuesta) for respuesta in self._leer_de_todos(plazo)]

    def cerrar(self) -> None:
        for proceso in self._procesos:
            if proceso.stdin and not proceso.stdin.closed:
                proceso.stdin.close()  # fin de la entrada: el trabajador termina
        limite = time.monotonic() + ESPERA
        for proceso in self._procesos:
            try:
                proceso.wait(timeout=max(0.1, limite - time.monotonic()))
            except subprocess.TimeoutExpired:
                proceso.kill()
                proceso.wait()
            _tuberias(proceso)[1].close()
        self._errores.close()

    def _leer_de_todos(self, plazo: float) -> list[str]:
        """Una línea de cada trabajador, esperando como mucho `plazo` segundos en total."""
        limite = time.monotonic() + plazo
        lineas = []
        for proceso in self._procesos:
            restante = max(0.0, limite - time.monotonic())
            _, salida = _tuberias(proceso)
            listos, _, _ = select.select([salida], [], [], restante)
            linea = salida.readline() if listos else ""
            if not linea:
                raise RuntimeError(
                    f"un trabajador no respondió en {plazo:g} s (código {proceso.poll()}): "
                    f"{self._ultimos_errores()}"
                )
            lineas.append(linea.strip())
        return lineas

    def _ultimos_errores(self) -> str:
        self._errores.seek(0)
        return self._errores.read()[-2000:] or "sin salida de error"


def _tuberias(proceso: subprocess.Popen[str]) -> tuple[IO[str], IO[str]]:
    """La entrada y la salida de un trabajador (los crea Trabajadores con tuberías)."""
    assert proceso.stdin is not None and proceso.stdout is not None
    return proceso.stdin, proceso.stdout


def medir_formas(
    formas: Mapping[str, Mapping[str, str]],
    procesos: int,
    hilos: int,
    usuarios: int,
    rondas: int,
    duracion: float,
    avisar: Callable[[int, str], None],
    contar_conexiones: Callable[[str], int],
    orden: Mapping[str, Any] | None = None,
) -> tuple[dict[str, Celda], dict[str, int], dict[str, Counter[str]]]:
    """Cada forma de conectar (su entorno) con sus `procesos` trabajadores, medidas con
    `medir_grupos`."""
    with ExitStack() as pila:
        grupos = {
            clave: pila.enter_context(Trabajadores(procesos, hilos, entorno, usuarios))
            for clave, entorno in formas.items()
        }
        return medir_grupos(grupos, rondas, duracion, avisar, contar_conexiones, orden)


def medir_grupos(
    grupos: Mapping[str, Trabajadores],
    rondas: int,
    duracion: float,
    avisar: Callable[[int, str], None],
    contar_conexiones: Callable[[str], int],
    orden: Mapping[str, Any] | None = None,
) -> tuple[dict[str, Celda], dict[str, int], dict[str, Counter[str]]]:
    """Los grupos de trabajadores ya en marcha, en rondas alternadas como las de los hilos:
    una de calentamiento y `rondas` de `duracion` s, con lo que diga `orden` (`pausa`,
    `sola`, `escribir_cada`).

    Devuelve las rondas de cada grupo, el máximo de conexiones al servidor que tenía
    abiertas tras una ronda, según `contar_conexiones(clave)`, y la suma de CONTADORES en
    las rondas medidas."""
    celdas = {clave: Celda() for clave in grupos}
    conexiones = dict.fromkeys(grupos, 0)
    sumas: dict[str, Counter[str]] = {clave: Counter() for clave in grupos}
    azar = random.Random(SEMILLA)
    for numero in range(rondas + 1):
        for clave in azar.sample(list(grupos), len(grupos)):
            avisar(numero, clave)
            # La ronda 0 calienta: abre las conexiones de cada pool (y de PgBouncer).
            respuestas = grupos[clave].ronda(
                {**(orden or {}), "segundos": duracion / 4 if numero == 0 else duracion}
            )
            crudos = [crudo for respuesta in respuestas for crudo in respuesta["crudos"]]
            if crudos:
                raise RuntimeError(f"{len(crudos)} errores inesperados; el primero: {crudos[0]}")
            conexiones[clave] = max(conexiones[clave], contar_conexiones(clave))
            if numero > 0:
                for contador in CONTADORES:
                    sumas[clave][contador] += sum(r[contador] for r in respuestas)
                celdas[clave].rondas.append(
                    Ronda(
                        hechas=sum(respuesta["hechas"] for respuesta in respuestas),
                        rechazadas=sum(
                            sum(respuesta["errores"].values()) for respuesta in respuestas
                        ),
                        segundos=max(respuesta["segundos"] for respuesta in respuestas),
                    )
                )
    return celdas, conexiones, sumas


if __name__ == "__main__":
    sys.exit(main())
