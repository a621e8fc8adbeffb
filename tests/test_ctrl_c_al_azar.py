"""Ctrl-C enviado desde otro proceso en un momento al azar, cientos de veces: el pool nunca
pierde un hueco ni presta una conexión sucia (lo comprueba tests/ctrl_c_al_azar.py, solo
con la API pública).

CPython lanza KeyboardInterrupt al entrar en una función o al volver de una llamada a C:
también en mitad del código del pool. ENSAYOS_CTRL_C=1000 (y SEMILLA_CTRL_C) en el entorno
cambian el número de ensayos y la semilla de los momentos.
"""

import json
import os
import random
import select
import signal
import subprocess
import sys
import time

import pytest
from ayudas import RAIZ

ENSAYOS = int(os.environ.get("ENSAYOS_CTRL_C", "200"))
SEMILLA = int(os.environ.get("SEMILLA_CTRL_C", "22"))
MOMENTO_MAXIMO = 0.030  # segundos tras «en marcha» en que llega Ctrl-C, al azar
COTA = 30.0  # segundos para cada respuesta del programa: más es un cuelgue


def _leer_linea(proceso: subprocess.Popen) -> str:
    listos, _, _ = select.select([proceso.stdout], [], [], COTA)
    if not listos:
        proceso.send_signal(signal.SIGUSR1)  # que diga dónde está cada hilo
        proceso.stdin.close()
        proceso.kill()
        pytest.fail(f"el programa no contestó en {COTA} s:\n{proceso.stderr.read()}")
    linea = proceso.stdout.readline()
    if not linea:
        pytest.fail(f"el programa terminó: {proceso.stderr.read()}")
    return linea.strip()


@pytest.mark.usefixtures("servidor_de_pruebas")
def test_ctrl_c_en_cualquier_momento_no_pierde_ningun_hueco_ni_deja_conexiones_sucias():
    azar = random.Random(SEMILLA)
    # Sin la cobertura de `make test` en el programa: coverage.py llama a Python desde su
    # trazador con un candado suyo tomado, y un Ctrl-C ahí lo dejaría tomado para siempre
    # (el programa se colgaría en coverage, no en el pool). Un programa de verdad no la lleva.
    entorno = {
        **{clave: valor for clave, valor in os.environ.items() if not clave.startswith("COV")},
        "PYTHONPATH": str(RAIZ),  # el programa está en tests/: que encuentre acceso_datos
        "DB_POOL_MIN": "1",
        "DB_POOL_MAX": "2",
        "LOG_LEVEL": "WARNING",
    }
    proceso = subprocess.Popen(
        [sys.executable, os.path.join("tests", "ctrl_c_al_azar.py")], cwd=RAIZ, env=entorno,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    fallos = []
    try:
        for ensayo in range(ENSAYOS):
            proceso.stdin.write("acompañado\n" if ensayo % 2 else "solo\n")
            proceso.stdin.flush()
            assert _leer_linea(proceso) == "en marcha"
            # No es una espera para sincronizar: es el momento al azar de la avería.
            time.sleep(azar.uniform(0, MOMENTO_MAXIMO))
            proceso.send_signal(signal.SIGINT)
            resultado = json.loads(_leer_linea(proceso))
            if not resultado["ok"]:
                fallos.append(f"ensayo {ensayo}: {resultado['fallo']}")
    finally:
        proceso.stdin.close()
        try:
            proceso.wait(COTA)
        finally:
            if proceso.poll() is None:
                proceso.kill()
                proceso.wait(COTA)
            proceso.stdout.close()
            proceso.stderr.close()
    assert fallos == [], f"{len(fallos)} de {ENSAYOS} ensayos con el pool roto:\n" + "\n".join(
        fallos[:10]
    )
