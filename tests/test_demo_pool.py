"""`python -m acceso_datos.demo_pool`, ejecutada como la ejecuta un alumno (otro proceso)."""

import os
import re
import socket
import subprocess
import sys

import pytest
from ayudas import RAIZ

LIMITE_DEMO = 60  # segundos: solo para detectar un cuelgue (la demo tarda unos 3 s)


def ejecutar_demo(entorno) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "acceso_datos.demo_pool"],
        cwd=RAIZ,
        env=entorno,
        capture_output=True,
        text=True,
        timeout=LIMITE_DEMO,
    )


def cifra(patron: str, salida: str) -> int:
    encontrada = re.search(patron, salida)
    assert encontrada, f"no aparece {patron!r} en la salida:\n{salida}"
    return int(encontrada[1])


@pytest.mark.usefixtures("base_limpia")
def test_demo_agota_cinco_conexiones_y_veinte_hilos_las_comparten_sin_fugas():
    resultado = ejecutar_demo(os.environ)

    salida = resultado.stdout
    assert resultado.returncode == 0, salida + resultado.stderr
    assert "Traceback" not in resultado.stderr
    for numero in range(1, 6):
        assert f"conexión {numero} tomada   -> en_uso {numero}, libres 0" in salida
    espera = re.search(r"PoolAgotadoError tras (\d+\.\d) s", salida)
    assert espera, salida
    assert float(espera[1]) >= 1.9  # esperó los 2 s pedidos antes de rendirse
    assert "Las 5 conexiones del pool siguen en uso" in salida
    assert "un hilo pide la sexta y espera -> en_uso 5, libres 0, esperando 1" in salida
    assert "el hilo obtuvo la sexta" in salida
    assert "Paso 4. Devolver todas las conexiones\n" in salida
    assert "  en_uso 0, libres 5, esperando 0" in salida
    assert cifra(r"operaciones hechas: (\d+) de 500", salida) == 500
    assert 1 <= cifra(r"pico de conexiones en uso a la vez: (\d+)", salida) <= 5
    assert 1 <= cifra(r"conexiones distintas del servidor que las atendieron: (\d+)", salida) <= 5
    assert cifra(r"conexiones prestadas al terminar: (\d+)", salida) == 0


def test_demo_sin_servidor_explica_el_fallo_sin_traza_y_sale_con_estado_1(tmp_path):
    with socket.socket() as sin_servidor:
        sin_servidor.bind(("127.0.0.1", 0))  # un puerto libre: nadie escucha en él
        puerto = sin_servidor.getsockname()[1]
    entorno = {
        **os.environ,
        "DATABASE_URL": "",
        "DB_HOST": "127.0.0.1",
        "DB_PORT": str(puerto),
        "DB_CONNECT_TIMEOUT": "3",
        "LOG_FILE": str(tmp_path / "demo.log"),
    }

    resultado = ejecutar_demo(entorno)

    assert resultado.returncode == 1
    assert "Traceback" not in resultado.stdout + resultado.stderr
    assert (
        f"Sin conexión con la base de datos: No se pudo conectar a PostgreSQL en 127.0.0.1:{puerto}"
        in resultado.stderr
    )
    assert "Paso 1" not in resultado.stdout
