"""Cuánto cuesta abrir una conexión nueva frente a pedirla prestada al pool y devolverla."""

import statistics
import time
from dataclasses import dataclass
from typing import Any

import psycopg2

from acceso_datos.conexion import Conexion


@dataclass(frozen=True)
class CosteConexion:
    via: str  # por dónde y cómo se conecta, en palabras
    nueva_us: float  # mediana de psycopg2.connect(), en µs
    prestamo_us: float  # mediana de obtener_conexion() + liberar_conexion(), en µs

    @property
    def cociente(self) -> float:
        return self.nueva_us / self.prestamo_us


def _mediana_us(tiempos: list[float]) -> float:
    return statistics.median(tiempos) * 1e6


def describir_via(parametros: dict[str, Any]) -> str:
    """Socket Unix o TCP, y el método de autenticación que aplicó el servidor."""
    host = parametros.get("host") or ""
    via = "socket Unix" if not host or host.startswith("/") else f"TCP a {host}"
    conexion = psycopg2.connect(**parametros)
    try:
        with conexion.cursor() as cursor:
            # system_user (PostgreSQL 16+) da «método:usuario», o NULL si el servidor confía
            # sin comprobar nada (trust).
            cursor.execute("SELECT current_setting('server_version_num')::int >= 160000")
            if cursor.fetchone()[0]:
                cursor.execute("SELECT system_user")
                identidad = cursor.fetchone()[0]
                metodo = identidad.split(":", 1)[0] if identidad else "trust, sin contraseña"
            else:
                metodo = "con contraseña" if parametros.get("password") else "sin contraseña"
    finally:
        conexion.close()
    return f"{via}, autenticación {metodo}"


def medir_coste_conexion(parametros: dict[str, Any], nuevas: int, prestamos: int) -> CosteConexion:
    """Mediana de `nuevas` conexiones nuevas y de `prestamos` préstamos del pool caliente."""
    via = describir_via(parametros)
    tiempos_nueva = []
    for _ in range(nuevas):
        inicio = time.perf_counter()
        conexion = psycopg2.connect(**parametros)
        tiempos_nueva.append(time.perf_counter() - inicio)
        conexion.close()  # cerrar no entra en la medida: solo el coste de conectar

    Conexion.liberar_conexion(Conexion.obtener_conexion())  # el pool ya tiene una abierta
    tiempos_prestamo = []
    for _ in range(prestamos):
        inicio = time.perf_counter()
        Conexion.liberar_conexion(Conexion.obtener_conexion())
        tiempos_prestamo.append(time.perf_counter() - inicio)
    return CosteConexion(via, _mediana_us(tiempos_nueva), _mediana_us(tiempos_prestamo))
