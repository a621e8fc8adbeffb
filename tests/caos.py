"""`make caos`: muchos hilos trabajando mientras todo falla, y lo que el pool garantiza.

Arranca un PostgreSQL propio con un proxy TCP delante (los de los tests) y pone HILOS hilos
a hacer operaciones de los DAO durante SEGUNDOS: altas, consultas, cambios y una
transacción de dos DAO (un usuario y su persona, todo o nada), por un pool de 5. A la vez,
con la semilla dada: se mata un proceso del servidor cada 1-3 s, se reinicia el servidor una
vez (`pg_ctl restart -m fast`) y se congela el proxy una vez durante 2 × DB_QUERY_TIMEOUT.

Al acabar comprueba, mirando el servidor directamente: toda alta confirmada está, ninguna
«no hecha» está, ninguna transacción quedó a medias, cada cambio confirmado se ve, ningún
hilo se colgó, ningún error ajeno a la capa de datos llegó a quien llamaba, y el pool está
entero (en uso 0, esperando 0, y sus DB_POOL_MAX conexiones se pueden pedir a la vez). Imprime
una tabla de operaciones y resultados; sale con 0 si todo se cumple y 1 si no.

    PYTHONPATH=. python tests/caos.py --segundos 120 --semilla 7   (o make caos SEGUNDOS=120)
"""

import argparse
import logging
import os
import random
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import psycopg2
from ayudas import directorio_fuera_de_pytest
from proxy_tcp import ProxyTCP

from acceso_datos.conexion import Conexion
from acceso_datos.consola import escribir_linea_a_linea
from acceso_datos.cursor_del_pool import CursorDelPool
from acceso_datos.errores import ErrorAccesoDatos, ResultadoDesconocidoError
from acceso_datos.esquema import crear_esquema
from acceso_datos.persona import Persona
from acceso_datos.persona_dao import PersonaDAO
from acceso_datos.usuario import Usuario
from acceso_datos.usuario_dao import UsuarioDAO
from benchmarks.servidores_locales import ServidorLocal

APLICACION = "acceso_datos_caos"  # application_name: así se distinguen sus procesos
PLAZO = 1.0  # DB_QUERY_TIMEOUT
MAXIMO = 5  # DB_POOL_MAX
OPERACIONES = ("alta", "consulta", "cambio", "dos DAO")
PESOS = (3, 4, 2, 1)
RESULTADOS = ("bien", "no hecha", "desconocida", "ajena")
# Los hilos vuelven como mucho en DB_POOL_TIMEOUT + DB_QUERY_TIMEOUT (y conectar): el que
# no vuelve en esto tras el final, está colgado.
COTA_HILOS = 30.0


@dataclass
class Registro:
    """Lo que un hilo anota de sus operaciones."""

    cuentas: Counter[tuple[str, str]] = field(default_factory=Counter)
    altas: dict[str, str] = field(default_factory=dict)  # email -> resultado
    dobles: dict[str, str] = field(default_factory=dict)  # username -> resultado
    # id_persona -> (último nombre confirmado, ¿un cambio dudoso después?)
    nombres: dict[int, tuple[str, bool]] = field(default_factory=dict)
    ajenas: list[str] = field(default_factory=list)


@dataclass
class Averias:
    """Lo que se rompió, y cuántas veces."""

    procesos_terminados: int = 0
    reinicios: int = 0
    congelaciones: int = 0
    fallos: list[str] = field(default_factory=list)  # averías que no se pudieron provocar


def resultado_de(error: BaseException) -> str:
    """Cómo acabó, para quien la pidió, una operación que lanzó `error`."""
    if isinstance(error, ResultadoDesconocidoError):
        return "desconocida"
    if isinstance(error, ErrorAccesoDatos):
        return "no hecha"
    return "ajena"


def trabajar(indice: int, fin: float, azar: random.Random, registro: Registro) -> None:
    """Un hilo: operaciones al azar hasta `fin`, anotando cómo acaba cada una."""
    propias: dict[int, Persona] = {}  # sus personas dadas de alta: solo él las cambia
    numero = 0
    while time.monotonic() < fin:
        numero += 1
        operacion = azar.choices(OPERACIONES, PESOS)[0]
        if operacion == "cambio" and not propias:
            operacion = "alta"
        clave = f"h{indice}n{numero}"
        try:
            if operacion == "alta":
                persona = Persona(nombre="Alta", apellido=clave, email=f"{clave}@caos.es")
                anotar(registro.altas, persona.email, PersonaDAO.insertar, persona)
                assert persona.id_persona is not None
                propias[persona.id_persona] = persona
                registro.nombres[persona.id_persona] = (persona.nombre, False)
            elif operacion == "consulta":
                PersonaDAO.seleccionar_pagina(10, azar.randrange(0, 50))
            elif operacion == "cambio":
                id_persona = azar.choice(list(propias))
                persona = propias[id_persona]
                persona.nombre = f"Cambio{numero}"
                try:
                    PersonaDAO.actualizar(persona)
                except ResultadoDesconocidoError:
                    registro.nombres[id_persona] = (registro.nombres[id_persona][0], True)
                    raise
                registro.nombres[id_persona] = (persona.nombre, False)
            else:
                anotar(registro.dobles, clave, alta_doble, clave)
            registro.cuentas[(operacion, "bien")] += 1
        except Exception as error:
            resultado = resultado_de(error)
            registro.cuentas[(operacion, resultado)] += 1
            if resultado == "ajena":
                registro.ajenas.append(f"{operacion}: {error!r}")


def anotar(
    resultados: dict[str, str], clave: str, operacion: Callable[..., object], *argumentos: Any
) -> None:
    """Hace `operacion(*argumentos)` y anota en `resultados[clave]` cómo acabó."""
    try:
        operacion(*argumentos)
    except Exception as error:
        resultados[clave] = resultado_de(error)
        raise
    resultados[clave] = "bien"


def alta_doble(clave: str) -> None:
    """Un usuario y su persona en una sola transacción: los dos o ninguno."""
    with CursorDelPool() as cursor:
        usuario = Usuario(username=clave, password="Clave-De-Caos-123")
        UsuarioDAO.insertar(usuario, cursor=cursor)
        persona = Persona(nombre="Doble", apellido=clave, email=f"{clave}@dos.es")
        PersonaDAO.insertar(persona, cursor=cursor)


def provocar_averias(
    fin: float, azar: random.Random, servidor: ServidorLocal, proxy: ProxyTCP
) -> Averias:
    """Hasta `fin`: mata un proceso del servidor cada 1-3 s, reinicia el servidor una vez
    (al 40 % del tiempo) y congela el proxy otra (al 70 %, durante 2 × PLAZO)."""
    averias = Averias()
    inicio = time.monotonic()
    reinicio = inicio + 0.4 * (fin - inicio)
    congelacion = inicio + 0.7 * (fin - inicio)
    proxima_muerte = inicio + azar.uniform(1, 3)
    while (ahora := time.monotonic()) < fin:
        if reinicio is not None and ahora >= reinicio:
            reinicio = None
            servidor.parar("fast")
            servidor.arrancar()
            averias.reinicios += 1
        elif congelacion is not None and ahora >= congelacion:
            congelacion = None
            proxy.congelar()
            time.sleep(2 * PLAZO)  # la avería: la red no contesta durante este tiempo
            proxy.descongelar()
            averias.congelaciones += 1
        elif ahora >= proxima_muerte:
            proxima_muerte = ahora + azar.uniform(1, 3)
            try:
                procesos = servidor.consultar(
                    "SELECT pid FROM pg_stat_activity WHERE application_name = %s", (APLICACION,)
                )
                if procesos:
                    servidor.consultar(
                        "SELECT pg_terminate_backend(%s)", (azar.choice(procesos)[0],)
                    )
                    averias.procesos_terminados += 1
            except psycopg2.Error as error:  # el servidor, reiniciándose: la próxima vez
                averias.fallos.append(f"no se pudo matar un proceso: {error}".strip())
        time.sleep(0.05)  # el ritmo de las averías, no una espera a nadie
    return averias


def comprobar(registro: Registro, servidor: ServidorLocal, base: str) -> list[str]:
    """Lo que no se cumple, mirando el servidor directamente (sin el proxy ni el pool)."""
    problemas = []
    emails = {fila[0] for fila in servidor.consultar("SELECT email FROM persona", base=base)}
    usuarios = {fila[0] for fila in servidor.consultar("SELECT username FROM usuario", base=base)}
    nombres = dict(servidor.consultar("SELECT id_persona, nombre FROM persona", base=base))
    for email, resultado in registro.altas.items():
        if resultado == "bien" and email not in emails:
            problemas.append(f"el alta confirmada de {email} no está")
        if resultado == "no hecha" and email in emails:
            problemas.append(f"el alta «no hecha» de {email} está")
    for clave, resultado in registro.dobles.items():
        usuario, persona = clave in usuarios, f"{clave}@dos.es" in emails
        if usuario != persona:
            problemas.append(f"la transacción de dos DAO {clave} quedó a medias")
        elif resultado == "bien" and not usuario:
            problemas.append(f"la transacción confirmada {clave} no está")
        elif resultado == "no hecha" and usuario:
            problemas.append(f"la transacción «no hecha» {clave} está")
    for id_persona, (nombre, dudoso) in registro.nombres.items():
        if not dudoso and id_persona in nombres and nombres[id_persona] != nombre:
            problemas.append(f"la persona {id_persona} no tiene su último cambio confirmado")
    problemas += [f"error ajeno a la capa de datos: {ajena}" for ajena in registro.ajenas[:5]]
    return problemas


def comprobar_el_pool() -> list[str]:
    """En uso 0, esperando 0, y sus DB_POOL_MAX conexiones a la vez, limpias."""
    estadisticas = Conexion.estadisticas()
    if estadisticas["en_uso"] or estadisticas["esperando"]:
        return [f"el pool no quedó entero: {estadisticas}"]
    conexiones = []
    try:
        for _ in range(estadisticas["maximo"]):
            conexiones.append(Conexion.obtener_conexion(timeout=10))
        for conexion in conexiones:
            with conexion.cursor() as cursor:
                cursor.execute("SELECT 1")
            conexion.rollback()
    except ErrorAccesoDatos as error:
        return [f"no se pudieron pedir las {estadisticas['maximo']} conexiones: {error}"]
    finally:
        for conexion in conexiones:
            Conexion.liberar_conexion(conexion)
    return []


def tabla(registro: Registro) -> list[str]:
    """Operaciones por tipo y resultado, en Markdown."""
    lineas = [
        "| operación | total | " + " | ".join(RESULTADOS) + " |",
        "| --- | ---: |" + " ---: |" * len(RESULTADOS),
    ]
    for operacion in (*OPERACIONES, "todas"):
        cuentas = [
            sum(
                n
                for (op, resultado), n in registro.cuentas.items()
                if resultado == r and operacion in (op, "todas")
            )
            for r in RESULTADOS
        ]
        lineas.append(f"| {operacion} | {sum(cuentas)} | " + " | ".join(map(str, cuentas)) + " |")
    return lineas


def caos(segundos: float, semilla: int, hilos: int) -> int:
    """El ensayo entero; devuelve 0 si todo lo garantizado se cumplió."""
    azar = random.Random(semilla)
    with directorio_fuera_de_pytest("caos") as carpeta:
        servidor = ServidorLocal.nuevo(carpeta)
        try:
            servidor.arrancar()
            base = "caos"
            servidor.consultar(f"CREATE DATABASE {base}")
            with ProxyTCP("127.0.0.1", servidor.puerto or 0) as proxy:
                os.environ.update(
                    DATABASE_URL="",
                    DB_HOST="127.0.0.1",
                    DB_PORT=str(proxy.puerto),
                    DB_NAME=base,
                    DB_USER="postgres",
                    DB_PASSWORD="",
                    DB_POOL_MIN="1",
                    DB_POOL_MAX=str(MAXIMO),
                    DB_POOL_TIMEOUT="5",
                    DB_CONNECT_TIMEOUT="2",
                    DB_QUERY_TIMEOUT=str(PLAZO),
                    DB_APPLICATION_NAME=APLICACION,
                    PASSWORD_SCRYPT_N="1024",
                    PASSWORD_SCRYPT_P="1",
                    LOG_LEVEL="WARNING",
                    LOG_FILE=str(carpeta / "caos.log"),
                )
                # Los avisos del pool (esperas, conexiones descartadas), al log y no a la tabla.
                logging.basicConfig(filename=carpeta / "caos.log", level=logging.WARNING)
                crear_esquema()
                registro = Registro()
                fin = time.monotonic() + segundos
                registros = [Registro() for _ in range(hilos)]
                grupo = [
                    threading.Thread(
                        target=trabajar,
                        args=(i, fin, random.Random(azar.random()), registros[i]),
                        daemon=True,
                    )
                    for i in range(hilos)
                ]
                for hilo in grupo:
                    hilo.start()
                averias = provocar_averias(fin, random.Random(azar.random()), servidor, proxy)
                limite = time.monotonic() + COTA_HILOS
                for hilo in grupo:
                    hilo.join(max(0.0, limite - time.monotonic()))
                colgados = sum(hilo.is_alive() for hilo in grupo)
                for parcial in registros:
                    registro.cuentas.update(parcial.cuentas)
                    registro.altas.update(parcial.altas)
                    registro.dobles.update(parcial.dobles)
                    registro.nombres.update(parcial.nombres)
                    registro.ajenas += parcial.ajenas
                problemas = [f"{colgados} hilos colgados"] if colgados else []
                problemas += comprobar(registro, servidor, base)
                problemas += comprobar_el_pool()
                estadisticas = Conexion.estadisticas()
                Conexion.cerrar_conexiones()
        finally:
            servidor.parar_si_sigue()

    print(f"Caos: {hilos} hilos, {segundos:g} s, semilla {semilla}, pool de {MAXIMO}.")
    print(
        f"Averías: {averias.procesos_terminados} procesos del servidor terminados, "
        f"{averias.reinicios} reinicio, {averias.congelaciones} congelación de "
        f"{2 * PLAZO:g} s."
    )
    print()
    print("\n".join(tabla(registro)))
    print()
    print(f"Pool al final: {estadisticas}")
    if problemas:
        print(f"\nNO SE CUMPLE ({len(problemas)}):")
        for problema in problemas[:20]:
            print(f"- {problema}")
        return 1
    print(
        "\nSe cumple todo: cada alta confirmada está y ninguna «no hecha» está, ninguna "
        "transacción quedó a medias,\nningún hilo se colgó, ningún error ajeno llegó a quien "
        "llamaba y el pool quedó entero."
    )
    return 0


def main(argumentos: list[str]) -> int:
    analizador = argparse.ArgumentParser(prog="make caos", description=__doc__.splitlines()[0])
    analizador.add_argument("--segundos", type=float, default=60.0)
    analizador.add_argument("--semilla", type=int, default=1)
    analizador.add_argument("--hilos", type=int, default=32)
    opciones = analizador.parse_args(argumentos)
    return caos(opciones.segundos, opciones.semilla, opciones.hilos)


if __name__ == "__main__":
    escribir_linea_a_linea()
    sys.exit(main(sys.argv[1:]))
