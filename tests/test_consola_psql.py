"""`make psql`: la orden psql que prepara `consola_psql` y que esa orden funciona."""

import subprocess

from acceso_datos.configuracion import Configuracion
from acceso_datos.consola_psql import elegir_psql, preparar_psql
from acceso_datos.servidor_embebido import BINARIOS
from benchmarks.pgbouncer import puerto_libre

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


def test_con_el_servidor_embebido_usa_su_psql_aunque_haya_otro_en_el_path(tmp_path, monkeypatch):
    otro = tmp_path / "psql"
    otro.write_text("#!/bin/sh\n")
    otro.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))

    assert elegir_psql(Configuracion(embebido=True)) == str(BINARIOS / "psql")
    assert elegir_psql(Configuracion(embebido=False, host="db")) == str(otro)


def test_el_psql_del_embebido_es_de_su_version_y_no_avisa(servidor_de_pruebas):
    argumentos, entorno, _ = preparar_psql()
    argumentos[0] = elegir_psql(Configuracion(embebido=True))

    resultado = subprocess.run(
        [*argumentos, "-c", "SELECT 1"], env=entorno, capture_output=True, text=True, timeout=30
    )

    assert resultado.returncode == 0, resultado.stderr
    assert "WARNING" not in resultado.stderr + resultado.stdout  # «psql major version 15...»


def test_sin_psql_en_el_path_usa_el_del_servidor_embebido(servidor_de_pruebas, monkeypatch):
    monkeypatch.setenv("PATH", "/no/existe")

    argumentos, entorno, _ = preparar_psql()

    assert argumentos[0] == str(BINARIOS / "psql")
    assert _consultar(argumentos, entorno) == servidor_de_pruebas.base


def test_con_varios_servidores_psql_prueba_cada_uno_y_pide_uno_de_escritura(
    servidor_de_pruebas, monkeypatch
):
    configuracion = servidor_de_pruebas
    caido = puerto_libre()  # nadie escucha: libpq pasa al siguiente
    monkeypatch.setenv("DB_HOST", f"127.0.0.1,{configuracion.host}")
    monkeypatch.setenv("DB_PORT", f"{caido},{configuracion.puerto}")

    argumentos, entorno, destino = preparar_psql()

    assert argumentos[1:5] == [
        "-h",
        f"127.0.0.1,{configuracion.host}",
        "-p",
        f"{caido},{configuracion.puerto}",
    ]
    assert "target_session_attrs=read-write" in argumentos[-1]
    assert f"127.0.0.1:{caido}, {configuracion.nombres_de_servidores()}" in destino
    assert _consultar(argumentos, entorno) == configuracion.base
