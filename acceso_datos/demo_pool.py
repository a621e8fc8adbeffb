"""`make demo` (`python -m acceso_datos.demo_pool`): el pool de conexiones, paso a paso.

Es la demostración del curso hecha para aprender. Primero el `SimpleConnectionPool` del
curso, de verdad, fallando en la sexta conexión; después este pool en la misma situación:
la sexta espera su turno, un hilo espera de verdad a que otro devuelva una, las conexiones
libres de más se cierran solas, un error dentro de `with CursorDelPool()` deshace el alta de
un usuario sin perder la conexión (y su id no se reutiliza) y 20 hilos comparten 5
conexiones sin errores ni fugas.
"""

import os
import sys
import textwrap
import threading
import time
import uuid
from typing import Any

from psycopg2 import pool as pool_de_psycopg2

from acceso_datos.conexion import Conexion
from acceso_datos.conexion_del_pool import ConexionDelPool
from acceso_datos.configuracion import leer_configuracion
from acceso_datos.consola import escribir_linea_a_linea
from acceso_datos.cursor_del_pool import CursorDelPool
from acceso_datos.dao_base import entero_devuelto
from acceso_datos.errores import ConexionError, ErrorAccesoDatos, PoolAgotadoError
from acceso_datos.esquema import crear_esquema
from acceso_datos.formato import numero, plural, segundos
from acceso_datos.logger_base import configurar_logging
from acceso_datos.pool import AVISO_ESPERA
from acceso_datos.senales import ejecutar_atendiendo_senales
from acceso_datos.usuario import Usuario
from acceso_datos.usuario_dao import UsuarioDAO

# Los valores del curso; DB_POOL_MAX y DB_POOL_MIN en el entorno (no en .env) los cambian.
MAXIMO = 5
MINIMO = 1
ESPERA_SEXTA = 2.0  # segundos que la petición de más espera antes de rendirse
RETENCION = 1.0  # segundos que un hilo retiene su conexión mientras otro espera (paso 4)
# Segundos sin uso tras los que se cierran las libres de más. Por defecto son 300; aquí 1,
# para verlo sin esperar cinco minutos.
INACTIVIDAD = 1.0
HILOS = 20
OPERACIONES_POR_HILO = 25
# Retener la conexión 2 ms, como una consulta corta de verdad, hace que los hilos se
# crucen y tengan que esperar turno; con un SELECT 1 casi nunca coincidirían.
_CONSULTA = "SELECT pg_backend_pid() FROM pg_sleep(0.002)"
LIMITE_HILOS = 60.0  # segundos: si los hilos tardan más, algo va mal y se dice


class FalloDeLaDemostracion(Exception):
    """El error que el paso 6 lanza a propósito dentro de `with CursorDelPool()`."""


def main() -> int:
    """Ejecuta la demostración; devuelve 0 si todo salió como se explica y 1 si no."""
    # La configuración se lee al crear el pool, así que basta con fijar estos valores aquí
    # antes del primer uso; el resto (servidor, base, usuario) sigue siendo el vigente. El
    # entorno gana a .env: los del curso, salvo que se pidan otros al ejecutarla
    # (`DB_POOL_MAX=1 make demo`).
    os.environ.setdefault("DB_POOL_MAX", str(MAXIMO))
    os.environ.setdefault("DB_POOL_MIN", str(MINIMO))
    os.environ["DB_POOL_MAX_IDLE"] = str(INACTIVIDAD)
    try:
        configuracion = leer_configuracion()
    except ErrorAccesoDatos as error:
        print(f"Error de configuración: {error}", file=sys.stderr)
        return 1
    ruta_log = configurar_logging(configuracion.log_level, configuracion.log_file)
    minimo, maximo = configuracion.pool_min, configuracion.pool_max

    titulo("Demostración del pool de conexiones")
    print(f"Base de datos: {configuracion.destino()}")
    print(
        f"Los dos pools se limitan a {plural(maximo, 'conexión', 'conexiones')} como máximo y "
        f"{minimo} abierta como mínimo\n(DB_POOL_MAX={maximo}, DB_POOL_MIN={minimo}; los del "
        f"curso son {MAXIMO} y {MINIMO})."
    )
    print(f"Cada préstamo y cada devolución de este pool quedan en el registro:\n{ruta_log}")
    if configuracion.embebido and not (configuracion.directorio_embebido / "PG_VERSION").exists():
        print("Preparando el PostgreSQL embebido por primera vez (unos segundos)...")
    try:
        pool = Conexion.obtener_pool()
        crear_esquema()  # el paso 6 escribe (y deshace) en la tabla usuario
        el_pool_del_curso(pool.configuracion.parametros_conexion(), minimo, maximo)
        conexiones = tomar_todas(maximo)
        pedir_una_mas_sin_exito(maximo)
        conexiones = esperar_a_que_otro_devuelva(conexiones)
        devolver_todas(conexiones, minimo)
        un_error_dentro_del_with()
        correcto = veinte_hilos(maximo)
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


def el_pool_del_curso(parametros: dict[str, Any], minimo: int, maximo: int) -> None:
    """Paso 1: el SimpleConnectionPool del curso, de verdad, hasta una conexión de más."""
    otra = ordinal(maximo + 1)
    titulo(f"Paso 1. El pool del curso: SimpleConnectionPool({minimo}, {maximo}) y una {otra}")
    del_curso = pool_de_psycopg2.SimpleConnectionPool(minimo, maximo, **parametros)
    try:
        for numero_conexion in range(1, maximo + 1):
            del_curso.getconn()
            print(f"  getconn() {numero_conexion}: conexión obtenida")
        inicio = time.monotonic()
        try:
            del_curso.getconn()
        except pool_de_psycopg2.PoolError as error:
            espera = time.monotonic() - inicio
            print(f"  getconn() {maximo + 1}: PoolError tras {segundos(espera, 2)}: «{error}»")
        else:
            raise ErrorAccesoDatos(f"El pool del curso no debía dar una {otra} conexión.")
    finally:
        del_curso.closeall()
    print(
        f"El pool del curso falla en el acto: quien pide la {otra} no espera a que otro\n"
        "devuelva una (en el programa del curso, la traza acaba el programa). Ahora, lo\n"
        "mismo con el pool de este proyecto."
    )


def tomar_todas(maximo: int) -> list[ConexionDelPool]:
    """Paso 2: pide a este pool todas sus conexiones y muestra los contadores tras cada una."""
    titulo(f"Paso 2. Este pool: tomar {plural(maximo, 'conexión', 'conexiones')}, una tras otra")
    print(f"Al empezar: {contadores()}")
    conexiones = []
    for numero_conexion in range(1, maximo + 1):
        conexiones.append(Conexion.obtener_conexion())
        print(f"  conexión {numero_conexion} tomada   -> {contadores()}")
    print(f"El pool está agotado: {plural(maximo, 'conexión prestada', 'conexiones prestadas')}.")
    return conexiones


def pedir_una_mas_sin_exito(maximo: int) -> None:
    """Paso 3: la petición de más espera su turno y, como nadie devuelve nada, se rinde."""
    otra = ordinal(maximo + 1)
    espera = segundos(ESPERA_SEXTA)
    titulo(f"Paso 3. Pedir una {otra} conexión (esperando como máximo {espera})")
    print("Nadie devuelve ninguna, así que la petición espera y al final se rinde...")
    inicio = time.monotonic()
    try:
        conexion = Conexion.obtener_conexion(timeout=ESPERA_SEXTA)
    except PoolAgotadoError as error:
        print(f"  PoolAgotadoError tras {segundos(time.monotonic() - inicio)}:")
        print(textwrap.fill(f"«{error}»", width=88, initial_indent="  ", subsequent_indent="   "))
    else:
        Conexion.liberar_conexion(conexion)
        raise ErrorAccesoDatos(f"La {otra} conexión no debía conseguirse con el pool agotado.")
    print(
        "El pool del curso fallaba al instante; este espera su turno (DB_POOL_TIMEOUT) y\n"
        "solo falla si el tiempo se acaba. Falta ver que alguien devuelva una."
    )


def esperar_a_que_otro_devuelva(conexiones: list[ConexionDelPool]) -> list[ConexionDelPool]:
    """Paso 4: se pide una más y otro hilo, que retiene la conexión 1, la devuelve al
    cabo de RETENCION segundos; el pool se la pasa directamente a quien esperaba."""
    titulo("Paso 4. Esperar a que otro hilo devuelva una conexión")
    retenida = conexiones.pop(0)

    def devolver_tras_usarla() -> None:
        # El hilo espera a que la petición esté en la cola, y entonces «trabaja» con su
        # conexión RETENCION segundos antes de devolverla: como una consulta lenta. La
        # devuelve pase lo que pase, como haría `with CursorDelPool()`.
        try:
            fin = time.monotonic() + 10
            while Conexion.estadisticas()["esperando"] == 0 and time.monotonic() < fin:
                time.sleep(0.01)
            time.sleep(RETENCION)
        finally:
            Conexion.liberar_conexion(retenida)

    otro = threading.Thread(target=devolver_tras_usarla, name="devuelve-la-1", daemon=True)
    print(
        f"Otro hilo tiene la conexión 1 y la devolverá cuando acabe, dentro de "
        f"{segundos(RETENCION)}.\nMientras, se pide otra (esperando como máximo 10 s)..."
    )
    otro.start()
    inicio = time.monotonic()
    try:
        otra = Conexion.obtener_conexion(timeout=10)
    finally:
        otro.join(timeout=15)
    espera = time.monotonic() - inicio
    print(f"  la conexión llegó tras esperar {segundos(espera)} -> {contadores()}")
    print(
        f"(Quien espera más de {segundos(AVISO_ESPERA)} queda avisado en el registro, y en la "
        "consola como AVISO.)"
    )
    if otra is retenida:
        print(
            "Es la misma conexión que el otro hilo acaba de devolver: el pool se la pasó al\n"
            "que esperaba, sin cerrarla ni abrir otra (abrir una cuesta milisegundos)."
        )
    conexiones.append(otra)
    return conexiones


def devolver_todas(conexiones: list[ConexionDelPool], minimo: int) -> None:
    """Paso 5: devuelve las cinco; quedan libres y, sin uso, se cierran hasta el mínimo."""
    titulo("Paso 5. Devolver todas las conexiones")
    while conexiones:
        Conexion.liberar_conexion(conexiones.pop())
    datos = Conexion.estadisticas()
    print(f"  {contadores(datos)}")
    if datos["libres"] <= minimo:
        libres = plural(datos["libres"], "libre", "libres")
        print(f"Queda {libres}, lo que pide el mínimo ({minimo}): nada que cerrar.")
        return
    print(
        f"Hay {datos['libres']} libres aunque el mínimo es {minimo}: el mínimo es lo que el pool "
        "mantiene\nabierto siempre, no un tope. Las devueltas siguen abiertas para que el "
        "siguiente no\nespere a que se abra una. Las que pasan DB_POOL_MAX_IDLE segundos sin "
        "usarse se cierran,\nhasta quedar el mínimo; se mira cada vez que se devuelve una. "
        "Son 300 s por defecto;\nen esta demostración, "
        f"DB_POOL_MAX_IDLE={numero(INACTIVIDAD)}, para verlo sin esperar cinco minutos."
    )
    # Aquí dormir es lo que se enseña: dejar pasar el tiempo de inactividad.
    time.sleep(INACTIVIDAD + 0.2)
    with CursorDelPool() as cursor:
        cursor.execute("SELECT 1")
    print(
        f"  tras {segundos(INACTIVIDAD + 0.2)} sin uso, un préstamo y su devolución -> "
        f"{contadores()}"
    )


def un_error_dentro_del_with() -> None:
    """Paso 6: una excepción dentro de `with CursorDelPool()` deshace el alta de un usuario
    y la conexión vuelve al pool igualmente; el id que recibió no se reutiliza."""
    titulo("Paso 6. Un error dentro de `with CursorDelPool()`")
    username = f"demo-{uuid.uuid4().hex[:8]}"
    id_deshecho = alta_que_falla(username, contar=True)
    guardados = 0 if UsuarioDAO.buscar_por_username(username) is None else 1
    print(f"  usuarios guardados con ese nombre: {guardados} -> {contadores()}")
    if guardados != 0:
        raise ErrorAccesoDatos("El INSERT debía deshacerse con el error.")
    print(
        "CursorDelPool hizo rollback (el INSERT no se guardó) y devolvió la conexión\n"
        "(en uso 0). La excepción sigue su camino: quien llama decide qué hacer con ella."
    )
    otro_id = alta_que_falla(username)
    print(
        f"  otra alta, deshecha también, recibe el id {otro_id}: el {id_deshecho} no se reutiliza"
    )
    print(
        "Los ids salen de una secuencia de PostgreSQL (SERIAL), y una secuencia no vuelve\n"
        "atrás con el rollback: si volviera, dos altas a la vez podrían llevarse el mismo id.\n"
        "Por eso los ids saltan (1, 3...): un alta que falla (un nombre de usuario repetido)\n"
        f"también gasta uno, y el próximo usuario de `make run` recibirá uno mayor que {otro_id}."
    )


def alta_que_falla(username: str, contar: bool = False) -> int:
    """Da de alta un usuario dentro de `with CursorDelPool()` y falla antes de acabar el
    bloque; devuelve el id que llegó a recibir. Con `contar`, lo cuenta paso a paso."""
    # El alta se deshace siempre: esta contraseña, al azar, no se guarda ni se usa.
    usuario = Usuario(username=username, password=uuid.uuid4().hex)
    try:
        with CursorDelPool() as cursor:
            UsuarioDAO.insertar(usuario, cursor=cursor)
            if contar:
                print(
                    "  dentro del with: `UsuarioDAO.insertar(usuario, cursor=cursor)` le dio el "
                    f"id {usuario.id_usuario}, aún sin confirmar"
                )
                print(f"  en ese momento -> {contadores()}")
            raise FalloDeLaDemostracion("algo falla antes de acabar el bloque")
    except FalloDeLaDemostracion as error:
        if contar:
            print(f"  la excepción sale del with: {type(error).__name__}: {error}")
    assert usuario.id_usuario is not None  # lo puso insertar, antes del fallo
    return usuario.id_usuario


class Medidor:
    """Cuenta, entre varios hilos, las operaciones hechas y el pico de conexiones a la vez."""

    def __init__(self) -> None:
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


def veinte_hilos(maximo: int) -> bool:
    """Paso 7: 20 hilos hacen cientos de consultas compartiendo las 5 conexiones."""
    total = HILOS * OPERACIONES_POR_HILO
    conexiones = plural(maximo, "conexión", "conexiones")
    titulo(f"Paso 7. {HILOS} hilos comparten {conexiones}")
    print(
        f"Cada hilo hace {OPERACIONES_POR_HILO} consultas con `with CursorDelPool() as cursor:` "
        f"({total} en total).\nCuando no queda ninguna libre, el resto espera su turno."
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
                        pid_servidor = entero_devuelto(cursor)
                    finally:
                        medidor.sale(pid_servidor)
        except Exception as error:
            medidor.fallo(error)

    hilos = [
        threading.Thread(target=trabajar, name=f"hilo-{numero_hilo}", daemon=True)
        for numero_hilo in range(1, HILOS + 1)
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
        f"(en {segundos(duracion, 2)}, {numero(medidor.operaciones / duracion)} por segundo)"
    )
    print(f"  pico de conexiones en uso a la vez: {medidor.pico} (máximo del pool: {maximo})")
    print(
        "  conexiones distintas del servidor que las atendieron: "
        f"{len(medidor.procesos_servidor)} (cada una es un proceso de PostgreSQL)"
    )
    print(f"  conexiones prestadas al terminar: {final['en_uso']} -> {contadores(final)}")

    if medidor.errores or vivos:
        print(
            f"\nAlgo falló: {plural(len(medidor.errores), 'error', 'errores')} y "
            f"{plural(vivos, 'hilo sin terminar', 'hilos sin terminar')}."
        )
        for error in medidor.errores[:3]:
            print(f"  {type(error).__name__}: {error}")
        return False
    if final["en_uso"] != 0:
        print(f"\nQuedaron {plural(final['en_uso'], 'conexión prestada', 'conexiones prestadas')}")
        print("sin devolver: eso sería una fuga.")
        return False
    titulo("Conclusión")
    print(
        f"{HILOS} hilos hicieron {medidor.operaciones} operaciones con solo "
        f"{plural(len(medidor.procesos_servidor), 'conexión', 'conexiones')}, sin ningún error,\n"
        f"nunca hubo más de {plural(maximo, 'prestada', 'prestadas')} a la vez y no quedó "
        "nada prestado (en uso 0):\n`with CursorDelPool()` devuelve la conexión siempre, "
        "también cuando algo falla (paso 6)."
    )
    return True


def contadores(datos: dict[str, int] | None = None) -> str:
    """Los contadores de `Conexion.estadisticas()` en una línea."""
    datos = Conexion.estadisticas() if datos is None else datos
    return f"en uso {datos['en_uso']}, libres {datos['libres']}, esperando {datos['esperando']}"


def ordinal(numero_: int) -> str:
    """«sexta» para 6; a partir de la décima, «11.ª»."""
    return _ORDINALES.get(numero_, f"{numero_}.ª")


_ORDINALES = {
    2: "segunda",
    3: "tercera",
    4: "cuarta",
    5: "quinta",
    6: "sexta",
    7: "séptima",
    8: "octava",
    9: "novena",
    10: "décima",
}


def titulo(texto: str) -> None:
    """Un encabezado subrayado."""
    print(f"\n{texto}\n{'-' * len(texto)}")


if __name__ == "__main__":
    escribir_linea_a_linea()
    sys.exit(ejecutar_atendiendo_senales(main))
