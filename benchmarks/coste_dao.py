"""Lo que cuesta la capa DAO: la misma operación por `PersonaDAO`, escrita a mano con
psycopg2 sobre una conexión persistente, y con SQLAlchemy (Core y ORM), lo que un usuario
elegiría en su lugar. Un hilo; rondas alternadas en un orden al azar distinto cada vez, y
el cociente con la versión a mano calculado dentro de cada ronda.

Cada variante se alterna con la versión a mano operación a operación (ver `_alternar`).
Las dos
operaciones son las de cada día: buscar una persona por su clave (un SELECT y su
commit) y dar de alta una (validarla, INSERT ... RETURNING y commit). Todas devuelven una
`Persona` o su id, y todas confirman.
"""

import itertools
import random
import statistics
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

import psycopg2

from acceso_datos.persona import Persona
from acceso_datos.persona_dao import PersonaDAO

SEMILLA = 2026
OPERACIONES_DAO = ("buscar_por_id", "insertar")
VARIANTES_SQLALCHEMY = ("SQLAlchemy Core", "SQLAlchemy ORM")
# En los correos de las altas: que otra medida sobre la misma base no choque con estas.
_ETIQUETA = uuid.uuid4().hex[:8]
_NUMEROS = itertools.count()  # del proceso: dos medidas seguidas tampoco chocan
A_MANO = "a mano (psycopg2, conexión persistente)"
NUESTRO = "PersonaDAO (nuestro)"
_BUSCAR = "SELECT id_persona, nombre, apellido, email FROM persona WHERE id_persona = %s"
_INSERTAR = "INSERT INTO persona (nombre, apellido, email) VALUES (%s, %s, %s) RETURNING id_persona"


@dataclass
class CosteDao:
    """Por operación y variante: µs por operación de cada ronda y su cociente con a mano."""

    operaciones: int  # por ronda y variante
    us: dict[tuple[str, str], list[float]] = field(default_factory=dict)
    cocientes: dict[tuple[str, str], list[float]] = field(default_factory=dict)
    omitidas: dict[str, str] = field(default_factory=dict)  # variante -> por qué no se midió

    def mediana_us(self, operacion: str, variante: str) -> float:
        return statistics.median(self.us[(operacion, variante)])

    def cociente(self, operacion: str, variante: str) -> float:
        """Operaciones por segundo de la variante ÷ las de a mano (más de 1: más rápida)."""
        return statistics.median(self.cocientes[(operacion, variante)])


Variantes = dict[str, dict[str, Callable[[int], object]]]


def _a_mano(parametros: dict[str, Any], pila: ExitStack) -> dict[str, Callable[[int], object]]:
    conexion = psycopg2.connect(**parametros)
    pila.callback(conexion.close)

    def buscar(id_persona: int) -> Persona | None:
        cursor = conexion.cursor()
        cursor.execute(_BUSCAR, (id_persona,))
        fila = cursor.fetchone()
        conexion.commit()
        cursor.close()
        return Persona(*fila) if fila else None

    def insertar(numero: int) -> int:
        cursor = conexion.cursor()
        cursor.execute(_INSERTAR, ("Ana", "Pérez", f"mano-{_ETIQUETA}-{numero}@bench.es"))
        fila = cursor.fetchone()
        conexion.commit()
        cursor.close()
        return int(fila[0]) if fila else 0

    return {"buscar_por_id": buscar, "insertar": insertar}


def _nuestro() -> dict[str, Callable[[int], object]]:
    def insertar(numero: int) -> int:
        persona = Persona(
            nombre="Ana", apellido="Pérez", email=f"dao-{_ETIQUETA}-{numero}@bench.es"
        )
        PersonaDAO.insertar(persona)
        return persona.id_persona or 0

    return {"buscar_por_id": PersonaDAO.buscar_por_id, "insertar": insertar}


def _sqlalchemy(
    parametros: dict[str, Any], pila: ExitStack
) -> dict[str, dict[str, Callable[[int], object]]]:
    """Core y ORM sobre el mismo motor (su QueuePool de 5, con psycopg2 debajo)."""
    from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, insert, select
    from sqlalchemy.orm import Session, registry

    motor = create_engine("postgresql+psycopg2://", creator=lambda: psycopg2.connect(**parametros))
    pila.callback(motor.dispose)
    tabla = Table(
        "persona",
        MetaData(),
        Column("id_persona", Integer, primary_key=True),
        Column("nombre", String(50)),
        Column("apellido", String(50)),
        Column("email", String(100)),
    )

    class PersonaOrm:
        """La entidad del ORM (mapeada sin clase base: sus columnas son las de `tabla`)."""

        id_persona: int

        def __init__(self, nombre: str, apellido: str, email: str):
            self.nombre, self.apellido, self.email = nombre, apellido, email

    registry().map_imperatively(PersonaOrm, tabla)

    def buscar_core(id_persona: int) -> Persona | None:
        with motor.begin() as conexion:
            fila = conexion.execute(select(tabla).where(tabla.c.id_persona == id_persona)).first()
        return Persona(*fila) if fila else None

    def insertar_core(numero: int) -> int:
        with motor.begin() as conexion:
            valores = {
                "nombre": "Ana",
                "apellido": "Pérez",
                "email": f"core-{_ETIQUETA}-{numero}@bench.es",
            }
            return int(
                conexion.execute(insert(tabla).returning(tabla.c.id_persona), valores).scalar_one()
            )

    def buscar_orm(id_persona: int) -> object:
        with Session(motor) as sesion, sesion.begin():
            return sesion.get(PersonaOrm, id_persona)

    def insertar_orm(numero: int) -> int:
        with Session(motor) as sesion, sesion.begin():
            nueva = PersonaOrm(
                nombre="Ana", apellido="Pérez", email=f"orm-{_ETIQUETA}-{numero}@bench.es"
            )
            sesion.add(nueva)
            sesion.flush()
            return nueva.id_persona

    return {
        "SQLAlchemy Core": {"buscar_por_id": buscar_core, "insertar": insertar_core},
        "SQLAlchemy ORM": {"buscar_por_id": buscar_orm, "insertar": insertar_orm},
    }


def _alternar(
    pareja: dict[str, Callable[[int], object]],
    operacion: str,
    operaciones: int,
    ids: int,
    azar: random.Random,
    numeros: Iterator[int],
) -> dict[str, float]:
    """Segundos de cada una de las dos variantes en `operaciones` operaciones alternadas.

    Una a una y en un orden al azar: así a las dos les toca lo mismo de lo que cambia de un
    momento a otro (la caché, lo que hace el servidor). Cada variante se mide frente a la
    versión a mano por separado, no entre todas: el código de SQLAlchemy, ejecutado entre
    medias, vaciaría la caché del procesador para las demás."""
    tiempos = dict.fromkeys(pareja, 0.0)
    for _ in range(operaciones):
        orden = list(pareja)
        azar.shuffle(orden)
        argumento = azar.randint(1, ids)
        for nombre in orden:
            if operacion == "insertar":
                argumento = next(numeros)
            inicio = time.perf_counter()
            pareja[nombre](argumento)
            tiempos[nombre] += time.perf_counter() - inicio
    return tiempos


def medir_coste_dao(
    parametros: dict[str, Any], ids: int, rondas: int, operaciones: int
) -> CosteDao:
    """`rondas` rondas de `operaciones` operaciones por variante; `ids`, cuántas personas hay
    ya en la tabla (se buscan al azar entre ellas)."""
    resultado = CosteDao(operaciones)
    azar = random.Random(SEMILLA)
    numeros = _NUMEROS
    with ExitStack() as pila:
        variantes: Variantes = {A_MANO: _a_mano(parametros, pila), NUESTRO: _nuestro()}
        try:
            variantes.update(_sqlalchemy(parametros, pila))
        except ImportError:
            for nombre in VARIANTES_SQLALCHEMY:
                resultado.omitidas[nombre] = "SQLAlchemy no está instalado (requirements-bench.txt)"
        for operacion in OPERACIONES_DAO:
            for funciones in variantes.values():  # la primera vez, fuera de la medida
                funciones[operacion](1 if operacion == "buscar_por_id" else next(numeros))
            a_mano = variantes[A_MANO][operacion]
            for nombre, funciones in variantes.items():
                if nombre == A_MANO:
                    continue
                for _ in range(rondas):
                    pareja = {A_MANO: a_mano, nombre: funciones[operacion]}
                    tiempos = _alternar(pareja, operacion, operaciones, ids, azar, numeros)
                    # La versión a mano, con los µs de su pareja con el nuestro: cada pareja
                    # tiene los suyos (tras SQLAlchemy, la caché está fría para las dos).
                    for cual, total in tiempos.items():
                        if cual == A_MANO and nombre != NUESTRO:
                            continue
                        us = total / operaciones * 1e6
                        resultado.us.setdefault((operacion, cual), []).append(us)
                    resultado.cocientes.setdefault((operacion, nombre), []).append(
                        tiempos[A_MANO] / tiempos[nombre]
                    )
            resultado.cocientes[(operacion, A_MANO)] = [1.0]
    return resultado
