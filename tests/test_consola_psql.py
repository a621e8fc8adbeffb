"""`make psql`: la orden psql que prepara `consola_psql` y que esa orden funciona."""

import subprocess

from acceso_datos.consola_psql import preparar_psql
from acceso_datos.servidor_embebido import BINARIOS

PASSWORD = "Clave-Psql-51e0"  # el servidor de pruebas no la pide (trust): solo se mira dónde va


def _consultar(argumentos: list[str], entorno: dict[str, str]) -> str:
    resultado = subprocess.run(
        [*argumentos, "-Atc", "SELECT current_database()"],
        env=entorno,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert resultado.returncode == 0, resultado.stderr
    return resultado.stdout.strip()


def test_psql_apunta_a_la_base_configurada_y_la_password_va_por_el_entorno(
    servidor_de_pruebas, monkeypatch
):
    monkeypatch.setenv("DB_PASSWORD", PASSWORD)

    argumentos, entorno, destino = preparar_psql()

    configuracion = servidor_de_pruebas
    assert argumentos[1:] == [
        "-h",
        configuracion.host,
        "-p",
        str(configuracion.puerto),
        "-U",
        configuracion.usuario,
        "-d",
        configuracion.base,
    ]
    assert entorno["PGPASSWORD"] == PASSWORD
    assert PASSWORD not in " ".join(argumentos) + destino
    assert _consultar(argumentos, entorno) == configuracion.base


def test_sin_psql_en_el_path_usa_el_del_servidor_embebido(servidor_de_pruebas, monkeypatch):
    monkeypatch.setenv("PATH", "/no/existe")

    argumentos, entorno, _ = preparar_psql()

    assert argumentos[0] == str(BINARIOS / "psql")
    assert _consultar(argumentos, entorno) == servidor_de_pruebas.base
