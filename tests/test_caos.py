"""La versión corta de `make caos` (tests/caos.py): 16 hilos durante 8 s mientras se matan
procesos del servidor, se reinicia y se congela la red; todo lo garantizado se cumple."""

import os
import subprocess
import sys

from ayudas import RAIZ

SEGUNDOS = 8
COTA = 120  # segundos: arrancar el servidor, el ensayo y la comprobación; más es un cuelgue


def test_caos_corto_mata_reinicia_y_congela_y_todo_lo_garantizado_se_cumple():
    resultado = subprocess.run(
        [sys.executable, os.path.join("tests", "caos.py"), "--segundos", str(SEGUNDOS),
         "--semilla", "1", "--hilos", "16"],
        cwd=RAIZ, env={**os.environ, "PYTHONPATH": str(RAIZ)}, capture_output=True, text=True,
        timeout=COTA,
    )  # fmt: skip

    assert resultado.returncode == 0, resultado.stdout + resultado.stderr
    assert "1 reinicio, 1 congelación" in resultado.stdout
    assert "| todas |" in resultado.stdout
    assert "Se cumple todo" in resultado.stdout
