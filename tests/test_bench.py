"""`make bench`: el camino del modo rápido, sobre una tabla diminuta, para que no se pudra.

Las cifras no se comprueban (los benchmarks no son tests): solo que cada medida se hace,
con la base de medida aparte, y que el informe sale completo por la consola y en Markdown.
"""

import io
import logging
import os
import signal
import subprocess
import threading
import time
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass

import psycopg2
import pytest
from ayudas import RAIZ

from acceso_datos.configuracion import CosteScrypt, leer_configuracion
from acceso_datos.errores import ConexionError
from acceso_datos.logger_base import log
from benchmarks import bench_pool, coste_password
from benchmarks import variantes as v
from benchmarks.base_de_medida import SUFIJO, base_de_medida
from benchmarks.bench_pool import Parametros, url_de
from benchmarks.carga import medir_ronda
from benchmarks.informe import numero
from benchmarks.pgbouncer import buscar_pgbouncer

# Seis hilos: uno más que conexiones, para que se vea esperar (y rechazar al del curso). Y
# 3 procesos × 2 hilos que piden 6 conexiones a un servidor que, con la del observador, no
# admite más que 6: directos, alguno tiene que fallar.
DIMINUTO = Parametros(
    usuarios=50,
    filas_recorrido=300,
    hilos=(1, 6),
    rondas=1,
    duracion=0.05,
    conexiones_nuevas=3,
    prestamos=20,
    rondas_password=1,
    procesos=2,
    hilos_por_proceso=2,
    rondas_procesos=1,
    duracion_procesos=0.05,
    procesos_sin_huecos=3,
    hilos_sin_huecos=2,
    max_connections=6,
    procesos_replicas=1,
    hilos_replicas=2,
    rondas_dao=1,
    operaciones_dao=5,
    personas_dao=20,
)


def _existe_base(configuracion, nombre: str) -> bool:
    conexion = psycopg2.connect(**configuracion.parametros_conexion())
    try:
        with conexion.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (nombre,))
            return cursor.fetchone() is not None
    finally:
        conexion.close()


@dataclass
class Medida:
    """Lo que deja una medida diminuta hecha con `main --rapido`, como `make bench RAPIDO=1`."""

    estado: int
    resultados: bench_pool.Resultados
    markdown: str
    salida: str  # la consola
    errores: str  # el progreso
    entorno_antes: dict[str, str]
    entorno_despues: dict[str, str]


@pytest.fixture(scope="module")
def medida(servidor_de_pruebas, tmp_path_factory) -> Medida:
    """Una sola medida diminuta para los tests que la miran: medir cuesta (cada sección
    arranca procesos y servidores), y dos tests que midieran lo mismo lo pagarían dos veces."""
    salida = tmp_path_factory.mktemp("bench") / "RESULTADOS.md"
    raiz = logging.getLogger()
    manejadores, nivel_raiz, nivel_biblioteca = list(raiz.handlers), raiz.level, log.level
    entorno_antes = dict(os.environ)
    medidas = []
    ejecutar = bench_pool.ejecutar

    def ejecutar_y_guardar(*argumentos):
        medidas.append(ejecutar(*argumentos))
        return medidas[-1]

    with (
        pytest.MonkeyPatch.context() as parche,
        redirect_stdout(io.StringIO()) as consola,
        redirect_stderr(io.StringIO()) as progreso,
    ):
        parche.setattr(bench_pool, "RAPIDO", DIMINUTO)
        parche.setattr(bench_pool, "ejecutar", ejecutar_y_guardar)
        # Un hash «de antes» más barato que el de los tests, para que haya algo que mejorar.
        parche.setattr(coste_password, "COSTE_ANTERIOR", CosteScrypt(n=512, r=8, p=1))
        try:
            estado = bench_pool.main(["--rapido", "--salida", str(salida)])
        finally:
            # main() configura el log, como el menú: se deja como estaba.
            for manejador in list(raiz.handlers):
                raiz.removeHandler(manejador)
                if manejador not in manejadores:
                    manejador.close()
            for manejador in manejadores:
                raiz.addHandler(manejador)
            raiz.setLevel(nivel_raiz)
            log.setLevel(nivel_biblioteca)
    return Medida(
        estado,
        medidas[0] if medidas else None,
        salida.read_text(encoding="utf-8") if salida.exists() else "",
        consola.getvalue(),
        progreso.getvalue(),
        entorno_antes,
        dict(os.environ),
    )


def test_bench_rapido_mide_todo_y_escribe_el_informe(servidor_de_pruebas, medida):
    assert medida.estado == 0, medida.errores[-2000:]
    markdown = medida.markdown
    assert "Orden: `make bench RAPIDO=1`" in markdown
    titulos = (
        "1. Rendimiento con hilos",
        "2. Recorrer",
        "3. Coste",
        "4. Coste de las",
        "5. Lo que cuesta esperar",
        "6. Varios procesos",
        "7. Lecturas en réplicas",
        "8. El coste de la capa DAO",
        "Objetivos",
    )
    for titulo in titulos:
        assert f"## {titulo}" in markdown
        assert titulo in medida.salida
    for nombre in v.nombres().values():
        assert f"| {nombre} |" in markdown
        assert nombre in medida.salida
    for variante in ("PersonaDAO (nuestro)", "a mano (psycopg2, conexión persistente)"):
        assert f"| buscar_por_id | {variante} |" in markdown
        assert f"| insertar | {variante} |" in markdown
    assert "PersonaDAO.buscar_por_id ≥ 0,90× psycopg2 a mano" in markdown
    assert "**Más clientes que conexiones.**" in markdown
    assert "contra max_connections=6" in medida.salida
    assert "| el primario y su réplica (DB_REPLICAS) |" in markdown
    assert "lecturas servidas en la réplica, solo lecturas" in markdown
    # Con 6 hilos: por qué no se midió la conexión por hilo, y los hilos que no operaron.
    assert "| — | — | solo hasta 5 hilos (una conexión por hilo) |" in markdown
    assert "de 6 hilos sin ninguna operación" in markdown
    # El gráfico de ops/s por hilos, solo en Markdown: una línea por variante medida a
    # todos los hilos (no las de una conexión por hilo, que solo llegan a 5, ni el control).
    assert "```mermaid" in markdown and "xychart-beta" in markdown
    lineas = [
        clase
        for clase in v.TODAS
        if clase is not v.Control
        and clase.max_hilos is None
        and v.FALTA_PAQUETE.get(clase.clave) is None
    ]
    assert markdown.count('    line "') == len(lineas)
    assert "xychart" not in medida.salida
    # El progreso va a la salida de errores, una línea por fase fuera de una terminal.
    assert "... Rendimiento con 6 hilos" in medida.errores
    assert "Traceback" not in medida.errores
    # Todo queda como estaba: el entorno, y sin la base de medida en el servidor.
    assert medida.entorno_despues == medida.entorno_antes
    assert not _existe_base(servidor_de_pruebas, servidor_de_pruebas.base + SUFIJO)


def test_bench_cuenta_cada_variante_con_hilos_y_recorre_la_tabla(medida):
    resultados = medida.resultados

    for hilos in DIMINUTO.hilos:
        celdas = resultados.celdas[hilos]
        assert set(celdas) == set(v.nombres())
        for clave, celda in celdas.items():
            if celda.omitida:
                continue
            assert len(celda.rondas) == DIMINUTO.rondas
            assert celda.rondas[0].hechas > 0, (hilos, clave)
            if clave != v.PoolDelCurso.clave:
                assert celda.rechazadas == 0, (hilos, clave)  # los pools de verdad esperan
    # Una conexión por hilo solo se mide hasta 5 hilos; lo demás, si su paquete está.
    assert resultados.celdas[1][v.Persistente.clave].omitida is None
    assert "hasta 5 hilos" in resultados.celdas[6][v.Persistente.clave].omitida
    for clave, paquete in v.FALTA_PAQUETE.items():
        omitida = resultados.celdas[1][clave].omitida
        assert (omitida is not None) == (paquete is not None)
    assert resultados.reconexiones[6] >= 0

    assert {metodo: r.filas for metodo, r in resultados.recorridos.items()} == {
        "iterar": DIMINUTO.filas_recorrido,
        "seleccionar": DIMINUTO.filas_recorrido,
    }
    assert resultados.coste.nueva_us > resultados.coste.prestamo_us > 0
    espera = resultados.espera
    assert min(espera.consulta_us, espera.consulta_acotada_us) > 0
    assert min(espera.devolver_us, espera.devolver_con_reinicio_us) > 0
    # Varios procesos: directo siempre; a través de PgBouncer, si está instalado.
    directo = resultados.procesos["directo"]
    assert directo.omitida is None and directo.rondas[0].hechas > 0
    assert directo.rechazadas == 0
    assert 0 < resultados.conexiones_procesos["directo"] <= DIMINUTO.procesos * v.MAXIMO
    pgbouncer = resultados.procesos["pgbouncer"]
    if buscar_pgbouncer() is None:
        assert "falta pgbouncer" in pgbouncer.omitida
    else:
        assert pgbouncer.omitida is None and pgbouncer.rondas[0].hechas > 0
        assert pgbouncer.rechazadas == 0

    # Más clientes que conexiones: directos, fallan con 53300; a través de PgBouncer, no.
    sin_huecos = resultados.sin_huecos
    assert sin_huecos.celdas["directo"].rondas[0].hechas > 0
    assert sin_huecos.errores_53300["directo"] > 0
    assert sin_huecos.errores_53300["directo"] == sin_huecos.celdas["directo"].rechazadas
    if buscar_pgbouncer() is None:
        assert "falta pgbouncer" in sin_huecos.celdas["pgbouncer"].omitida
    else:
        assert sin_huecos.celdas["pgbouncer"].rondas[0].hechas > 0
        assert sin_huecos.celdas["pgbouncer"].rechazadas == 0
        assert 0 < sin_huecos.conexiones["pgbouncer"] <= sin_huecos.pool_de_pgbouncer
    # Lecturas en réplicas: las dos formas operan con las dos cargas; sin réplicas no se
    # cuenta nada, y con ellas las lecturas se sirven en la réplica salvo tras escribir.
    lecturas = resultados.lecturas
    for carga, celdas in lecturas.celdas.items():
        assert all(celda.rondas[0].hechas > 0 for celda in celdas.values()), carga
        assert all(celda.rechazadas == 0 for celda in celdas.values()), carga
    assert lecturas.servidas["lecturas"]["en_replica"] > 0
    assert lecturas.servidas["mezcla"]["en_primario"] > 0

    password = resultados.password
    assert (password.coste.n, password.coste.p) == (1024, 1)  # el de los tests
    assert len(password.segundos) == 6
    assert "inicio que mejora un hash N=512, p=1" in password.segundos
    assert all(len(segundos) == DIMINUTO.rondas_password for segundos in password.segundos.values())


def test_ronda_que_falla_en_un_hilo_para_los_demas_y_lo_cuenta():
    antes = threading.active_count()

    def falla() -> bool:
        raise ValueError("la base no responde")

    inicio = time.monotonic()
    # Una ronda larga: si el fallo de un hilo no la parase, duraría un minuto.
    with pytest.raises(RuntimeError, match="1 hilo falló.*la base no responde"):
        medir_ronda([falla, lambda: True, lambda: True], duracion=60)
    assert time.monotonic() - inicio < 30
    assert threading.active_count() == antes


def test_ronda_muy_corta_con_muchos_hilos_no_falla():
    # Con 64 hilos, alguno despierta de la salida cuando la ronda ya acabó: debe contar 0
    # operaciones, no fallar.
    for _ in range(5):  # con abort() siempre al acabar (el fallo de antes), falla en las primeras
        ronda = medir_ronda([lambda: True] * 64, duracion=0.001)
        assert ronda.rechazadas == 0


def test_ronda_cuenta_los_hilos_que_no_acabaron_nada_antes_de_parar():
    # Un hilo opera sin parar; el otro pasa en su primera operación diez veces lo que dura
    # la ronda (como un hilo al que un pool no da turno) y la acaba tras la señal de parar.
    def sin_turno() -> bool:
        time.sleep(1.0)  # la operación lenta que se simula, no una espera a otro hilo
        return True

    ronda = medir_ronda([lambda: True, sin_turno], duracion=0.1)

    assert ronda.parados == 1
    assert ronda.hechas > 1


def test_ctrl_c_durante_una_ronda_para_los_hilos_antes_de_salir():
    # Sin esto, al pulsar Ctrl-C los hilos seguirían usando conexiones mientras se cierran.
    antes = threading.active_count()
    principal = threading.main_thread().ident
    avisado = threading.Event()

    def operacion() -> bool:
        if not avisado.is_set():
            avisado.set()
            signal.pthread_kill(principal, signal.SIGINT)  # el Ctrl-C llega al hilo principal
        return True

    inicio = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        medir_ronda([operacion] * 4, duracion=60)  # sin el Ctrl-C duraría un minuto

    assert time.monotonic() - inicio < 30
    assert threading.active_count() == antes


def test_url_de_la_base_de_medida_conserva_socket_usuario_y_contrasena():
    original = leer_configuracion(
        {
            "DB_HOST": "/tmp/socket con espacios",
            "DB_PORT": "5433",
            "DB_NAME": "base_bench",
            "DB_USER": "alumna@curso",
            "DB_PASSWORD": "p@ss:/?#word ñ",
        }
    )

    leida = leer_configuracion({"DATABASE_URL": url_de(original)})

    assert (leida.host, leida.puerto) == ("/tmp/socket con espacios", 5433)
    assert leida.base == "base_bench"
    assert (leida.usuario, leida.password) == ("alumna@curso", "p@ss:/?#word ñ")


def test_numero_en_espanol():
    assert numero(1234567.891, 2) == "1 234 567,89"
    assert numero(0.5, 1) == "0,5"


@pytest.mark.parametrize(("variable", "con_rapido"), [("RAPIDO=1", True), ("RAPIDO=", False)])
def test_make_bench_pasa_rapido_solo_si_se_pide(variable, con_rapido):
    orden = subprocess.run(
        ["make", "-n", "bench", variable], cwd=RAIZ, capture_output=True, text=True, check=True
    ).stdout

    assert "benchmarks.bench_pool" in orden
    assert ("--rapido" in orden) == con_rapido


@pytest.mark.parametrize(
    ("argumentos", "archivo"),
    [(["--rapido"], "RESULTADOS-rapido.md"), ([], "RESULTADOS.md")],
)
def test_la_medida_rapida_no_pisa_el_informe_guardado(monkeypatch, argumentos, archivo):
    usada = []
    monkeypatch.setattr(bench_pool, "ejecutar", lambda p, salida, orden: usada.append(salida))
    monkeypatch.setattr(bench_pool, "configurar_logging", lambda *args: None)

    assert bench_pool.main(argumentos) == 0

    assert usada == [RAIZ / "benchmarks" / archivo]
    ignorado = subprocess.run(
        ["git", "check-ignore", "-q", f"benchmarks/{archivo}"], cwd=RAIZ, check=False
    )
    assert (ignorado.returncode == 0) == ("--rapido" in argumentos)


def _administrar(configuracion, *ordenes: str) -> None:
    conexion = psycopg2.connect(**configuracion.parametros_conexion())
    conexion.autocommit = True
    try:
        with conexion.cursor() as cursor:
            for orden in ordenes:
                cursor.execute(orden)
    finally:
        conexion.close()


def test_base_de_medida_empieza_de_cero_aunque_quedara_una_anterior(servidor_de_pruebas):
    # Como la que deja una medida interrumpida con kill -9: con una tabla ajena dentro.
    nombre = servidor_de_pruebas.base + SUFIJO
    _administrar(servidor_de_pruebas, f'CREATE DATABASE "{nombre}"')
    _administrar(servidor_de_pruebas.con(base=nombre), "CREATE TABLE resto (x int)")

    with base_de_medida(servidor_de_pruebas) as medida:
        # Se queda abierta al salir, como la de un hilo colgado: el borrado la corta (FORCE).
        conexion = psycopg2.connect(**medida.parametros_conexion())
        with conexion.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_tables WHERE tablename = 'resto'")
            restos = cursor.fetchone()[0]
    conexion.close()

    assert medida.base == nombre
    assert restos == 0
    assert not _existe_base(servidor_de_pruebas, nombre)


def test_base_de_medida_sin_permiso_para_crear_bases_lo_explica(servidor_de_pruebas):
    rol = f"sin_createdb_{os.getpid()}"
    _administrar(servidor_de_pruebas, f"CREATE ROLE {rol} LOGIN")
    try:
        sin_permiso = servidor_de_pruebas.con(usuario=rol, password=None)
        with (
            pytest.raises(ConexionError, match=rf"'{rol}' necesita permiso .*CREATEDB"),
            base_de_medida(sin_permiso),
        ):
            pytest.fail("no debió crear la base")
    finally:
        _administrar(servidor_de_pruebas, f"DROP ROLE {rol}")
