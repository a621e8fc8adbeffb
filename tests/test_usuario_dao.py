"""Tests de lo propio de `UsuarioDAO` contra un PostgreSQL real: contraseñas y
autenticación (con la mejora del hash al iniciar sesión), las reglas del username (NFC),
usernames hostiles, buscar_por_username y la memoria de iterar. Lo que cumple todo DAO
está en test_contrato_dao.py."""

import logging
import os
import time
import unicodedata

import psycopg2
import pytest
from ayudas import RAIZ, en_uso
from entradas_hostiles import USERNAMES_HOSTILES

from acceso_datos import usuario_dao as modulo_usuario_dao
from acceso_datos.conexion import Conexion
from acceso_datos.cursor_del_pool import CursorDelPool
from acceso_datos.errores import ConexionError, DatosInvalidosError, RegistroDuplicadoError
from acceso_datos.esquema import crear_esquema
from acceso_datos.seguridad import generar_hash, verificar_password
from acceso_datos.servidor_embebido import ServidorEmbebido
from acceso_datos.usuario import Usuario
from acceso_datos.usuario_dao import UsuarioDAO
from acceso_datos.validacion import etiqueta
from benchmarks.recorrer import medir_en_subproceso

pytestmark = pytest.mark.usefixtures("base_limpia")

PASSWORD = "Secreto-Muy-Visible-123"
OTRA_PASSWORD = "Otra-Clave-Distinta-456"
# Lo mismo escrito de dos formas: «é» de una pieza (NFC) o «e» + tilde combinada (NFD).
JOSE_NFC = "José"
JOSE_NFD = unicodedata.normalize("NFD", JOSE_NFC)
CLAVE_NFC = "contraseña-de-José"
CLAVE_NFD = unicodedata.normalize("NFD", CLAVE_NFC)


# (campo que debe nombrar el mensaje, username, password)
DATOS_INVALIDOS = [
    pytest.param("username", None, PASSWORD, id="username_none"),
    pytest.param("username", "", PASSWORD, id="username_vacio"),
    pytest.param("username", "   ", PASSWORD, id="username_en_blanco"),
    pytest.param("username", "a" * 51, PASSWORD, id="username_51_caracteres"),
    pytest.param("username", "ana\x00", PASSWORD, id="username_con_nul"),
    pytest.param("username", "ana\nbea", PASSWORD, id="username_con_salto_de_linea"),
    pytest.param("username", "ana\tbea", PASSWORD, id="username_con_tabulador"),
    pytest.param("password", "nueva", None, id="password_none"),
    pytest.param("password", "nueva", "x" * 7, id="password_7_caracteres"),
    pytest.param("password", "nueva", "x" * 129, id="password_129_caracteres"),
]


# --- ayudas -------------------------------------------------------------------------


def _crear(username: str, password: str = PASSWORD) -> Usuario:
    usuario = Usuario(username=username, password=password)
    UsuarioDAO.insertar(usuario)
    return usuario


def _filas() -> list[tuple]:
    """La tabla entera, hash incluido, leída sin pasar por el DAO."""
    with CursorDelPool() as cursor:
        cursor.execute("SELECT id_usuario, username, password FROM usuario ORDER BY id_usuario")
        return cursor.fetchall()


def _estado_de_la_secuencia() -> tuple:
    """Si cambia, es que llegó a ejecutarse un INSERT (aunque fallara)."""
    with CursorDelPool() as cursor:
        cursor.execute("SELECT last_value, is_called FROM usuario_id_usuario_seq")
        return cursor.fetchone()


def _hash_de(id_usuario: int) -> str:
    with CursorDelPool() as cursor:
        cursor.execute("SELECT password FROM usuario WHERE id_usuario = %s", (id_usuario,))
        return cursor.fetchone()[0]


def _guardar_hash(id_usuario: int, hash_guardado: str) -> None:
    """Pone un hash en la fila sin pasar por el DAO, como lo habría dejado otra versión."""
    with CursorDelPool() as cursor:
        cursor.execute(
            "UPDATE usuario SET password = %s WHERE id_usuario = %s", (hash_guardado, id_usuario)
        )


# --- ida y vuelta de cada método ------------------------------------------------------


def test_insertar_devuelve_1_asigna_el_id_y_olvida_la_password():
    usuario = Usuario(username="ana", password=PASSWORD)

    assert UsuarioDAO.insertar(usuario) == 1
    assert usuario.id_usuario == 1
    assert usuario.password is None
    assert _filas()[0][:2] == (1, "ana")


def test_buscar_por_id_y_por_username_devuelven_el_usuario_sin_password():
    ana = _crear("ana")
    _crear("bea")

    for encontrado in (
        UsuarioDAO.buscar_por_id(ana.id_usuario),
        UsuarioDAO.buscar_por_username("ana"),
    ):
        assert (encontrado.id_usuario, encontrado.username, encontrado.password) == (
            ana.id_usuario,
            "ana",
            None,
        )


@pytest.mark.parametrize("buscado", ["Ana", "ana ", "an%", "an_", "%", "' OR '1'='1"])
def test_buscar_por_username_es_exacto_sin_comodines(buscado):
    _crear("ana")

    assert UsuarioDAO.buscar_por_username(buscado) is None


@pytest.mark.parametrize("username", [None, "", "a" * 51, "ana\x00"])
def test_buscar_por_username_invalido_lanza_datos_invalidos(username):
    with pytest.raises(DatosInvalidosError, match="El campo nombre de usuario"):
        UsuarioDAO.buscar_por_username(username)


def _crear_desordenados() -> list[Usuario]:
    """Usuarios cuyo orden alfabético no es el de id; el primero, además, modificado
    (un UPDATE escribe la fila al final de la tabla, así que sin ORDER BY saldría el último)."""
    usuarios = [_crear(nombre) for nombre in ("zoe", "ana", "mia", "bea", "eva")]
    usuarios[0].username = "zoe2"
    UsuarioDAO.actualizar(usuarios[0])
    return usuarios


def _ids_y_nombres(usuarios) -> list[tuple]:
    return [(u.id_usuario, u.username) for u in usuarios]


def test_seleccionar_iterar_y_paginas_devuelven_usuarios_sin_password():
    esperados = _ids_y_nombres(_crear_desordenados())

    for leidos in (
        UsuarioDAO.seleccionar(),
        list(UsuarioDAO.iterar(tamano_lote=2)),
        UsuarioDAO.seleccionar_pagina(10),
    ):
        assert _ids_y_nombres(leidos) == esperados
        assert all(usuario.password is None for usuario in leidos)


def test_actualizar_sin_password_cambia_el_username_y_conserva_el_hash():
    ana = _crear("ana")
    hash_antes = _filas()[0][2]

    assert UsuarioDAO.actualizar(Usuario(ana.id_usuario, "ana_maria")) == 1

    assert _filas() == [(ana.id_usuario, "ana_maria", hash_antes)]
    assert UsuarioDAO.autenticar("ana_maria", PASSWORD) == Usuario(ana.id_usuario, "ana_maria")


def test_actualizar_con_password_la_vieja_deja_de_valer_y_la_nueva_vale():
    ana = _crear("ana")
    hash_antes = _filas()[0][2]
    cambio = Usuario(ana.id_usuario, "ana", OTRA_PASSWORD)

    assert UsuarioDAO.actualizar(cambio) == 1

    assert cambio.password is None
    hash_despues = _filas()[0][2]
    assert hash_despues != hash_antes and hash_despues.startswith("scrypt-nfkc$")
    assert UsuarioDAO.autenticar("ana", PASSWORD) is None
    assert UsuarioDAO.autenticar("ana", OTRA_PASSWORD) == Usuario(ana.id_usuario, "ana")


# --- contraseñas y autenticación ------------------------------------------------------


def test_la_columna_password_guarda_un_hash_con_sal_y_nunca_el_texto_plano():
    _crear("ana", PASSWORD)
    _crear("bea", PASSWORD)

    (_, _, hash_ana), (_, _, hash_bea) = _filas()

    assert hash_ana != hash_bea
    for guardado in (hash_ana, hash_bea):
        assert PASSWORD not in guardado
        prefijo, n, r, p, sal, derivada = guardado.split("$")
        coste = (os.environ["PASSWORD_SCRYPT_N"], "8", os.environ["PASSWORD_SCRYPT_P"])
        assert (prefijo, n, r, p) == ("scrypt-nfkc", *coste)
        assert verificar_password(PASSWORD, guardado)


def test_autenticar_con_la_password_correcta_devuelve_el_usuario_sin_password():
    ana = _crear("ana")

    autenticado = UsuarioDAO.autenticar("ana", PASSWORD)

    assert autenticado == Usuario(ana.id_usuario, "ana")
    assert autenticado.password is None


@pytest.mark.parametrize(
    "intento", [OTRA_PASSWORD, PASSWORD.lower(), PASSWORD + " ", "", "' OR '1'='1"]
)
def test_autenticar_con_password_erronea_devuelve_none(intento):
    _crear("ana")

    assert UsuarioDAO.autenticar("ana", intento) is None


@pytest.mark.parametrize("username", ["nadie", "ANA", "' OR '1'='1", "a" * 51, "", "ana\x00"])
def test_autenticar_usuario_desconocido_devuelve_none(username):
    _crear("ana")

    assert UsuarioDAO.autenticar(username, PASSWORD) is None


@pytest.mark.parametrize(
    ("username", "password"),
    [(None, PASSWORD), ("ana", None), (None, None), ("ana", 12345678), (b"ana", PASSWORD)],
)
def test_autenticar_sin_username_o_password_de_texto_lanza_datos_invalidos(username, password):
    _crear("ana")

    with pytest.raises(DatosInvalidosError, match="username y password"):
        UsuarioDAO.autenticar(username, password)


@pytest.mark.parametrize(
    ("username", "password"),
    [("ana", OTRA_PASSWORD), ("nadie", OTRA_PASSWORD), ("a" * 51, OTRA_PASSWORD)],
    ids=["password_erronea", "usuario_desconocido", "username_invalido"],
)
def test_autenticar_fallido_hace_siempre_una_derivacion_scrypt_del_mismo_coste(
    monkeypatch, derivaciones, username, password
):
    monkeypatch.setenv("PASSWORD_SCRYPT_P", "2")  # el relleno también sigue a p
    _crear("ana")
    UsuarioDAO.autenticar("nadie", PASSWORD)  # la primera vez se prepara el hash de relleno
    derivaciones.clear()

    assert UsuarioDAO.autenticar(username, password) is None

    assert derivaciones == [(int(os.environ["PASSWORD_SCRYPT_N"]), 8, 2)]


def test_autenticar_tarda_parecido_con_usuario_desconocido_y_con_password_erronea(monkeypatch):
    # Un coste algo mayor para que scrypt (~20 ms) domine sobre el viaje a la base.
    monkeypatch.setenv("PASSWORD_SCRYPT_N", str(2**13))
    _crear("ana")
    UsuarioDAO.autenticar("nadie", PASSWORD)  # prepara el hash de relleno

    def mejor_tiempo(username: str) -> float:
        tiempos = []
        for _ in range(5):
            inicio = time.perf_counter()
            assert UsuarioDAO.autenticar(username, OTRA_PASSWORD) is None
            tiempos.append(time.perf_counter() - inicio)
        return min(tiempos)

    erronea, desconocido = mejor_tiempo("ana"), mejor_tiempo("nadie")

    # Cota generosa: sin la verificación de relleno, el desconocido tardaría ~1/50.
    assert desconocido > 0.4 * erronea, (desconocido, erronea)


# --- mejora del hash al iniciar sesión (como must_update en Django) ---------------------


def test_usuario_creado_con_un_coste_menor_se_mejora_al_acertar_y_no_al_fallar(monkeypatch):
    ana = _crear("ana")  # con el coste de los tests: N = 1024, p = 1
    antes = _hash_de(ana.id_usuario)
    monkeypatch.setenv("PASSWORD_SCRYPT_N", "2048")
    monkeypatch.setenv("PASSWORD_SCRYPT_P", "2")

    assert UsuarioDAO.autenticar("ana", OTRA_PASSWORD) is None
    assert _hash_de(ana.id_usuario) == antes  # un intento fallido no cambia nada

    assert UsuarioDAO.autenticar("ana", PASSWORD) == Usuario(ana.id_usuario, "ana")
    mejorado = _hash_de(ana.id_usuario)
    assert mejorado.split("$")[:4] == ["scrypt-nfkc", "2048", "8", "2"]

    assert UsuarioDAO.autenticar("ana", PASSWORD) == Usuario(ana.id_usuario, "ana")
    assert _hash_de(ana.id_usuario) == mejorado  # ya está al día: no se rehace
    assert UsuarioDAO.autenticar("ana", OTRA_PASSWORD) is None


def test_bajar_el_coste_no_rebaja_los_hashes_guardados(monkeypatch):
    ana = _crear("ana")
    antes = _hash_de(ana.id_usuario)
    monkeypatch.setenv("PASSWORD_SCRYPT_N", "512")

    assert UsuarioDAO.autenticar("ana", PASSWORD) == Usuario(ana.id_usuario, "ana")
    assert _hash_de(ana.id_usuario) == antes


@pytest.mark.parametrize(
    ("creada", "escrita"),
    [(CLAVE_NFC, CLAVE_NFC), (CLAVE_NFC, CLAVE_NFD), (CLAVE_NFD, CLAVE_NFD)],
    ids=["nfc_y_nfc", "nfc_y_luego_nfd", "nfd_y_nfd"],
)
def test_hash_de_antes_de_normalizar_entra_una_vez_y_queda_mejorado(hash_antiguo, creada, escrita):
    ana = _crear("ana")
    _guardar_hash(ana.id_usuario, hash_antiguo(creada))

    assert UsuarioDAO.autenticar("ana", escrita) == Usuario(ana.id_usuario, "ana")

    mejorado = _hash_de(ana.id_usuario)
    assert mejorado.startswith("scrypt-nfkc$")
    for forma in (CLAVE_NFC, CLAVE_NFD):  # ya normalizada, vale escrita de las dos formas
        assert UsuarioDAO.autenticar("ana", forma) == Usuario(ana.id_usuario, "ana")
    assert _hash_de(ana.id_usuario) == mejorado


def test_la_mejora_no_pisa_un_cambio_de_contrasena_hecho_mientras_se_calculaba(monkeypatch):
    ana = _crear("ana")
    monkeypatch.setenv("PASSWORD_SCRYPT_N", "2048")
    calcular = modulo_usuario_dao.generar_hash

    def con_cambio_entretanto(password: str) -> str:
        # Otro programa cambia la contraseña mientras este calcula el hash nuevo.
        _guardar_hash(ana.id_usuario, generar_hash(OTRA_PASSWORD))
        return calcular(password)

    monkeypatch.setattr(modulo_usuario_dao, "generar_hash", con_cambio_entretanto)

    assert UsuarioDAO.autenticar("ana", PASSWORD) == Usuario(ana.id_usuario, "ana")

    assert UsuarioDAO.autenticar("ana", OTRA_PASSWORD) == Usuario(ana.id_usuario, "ana")
    assert UsuarioDAO.autenticar("ana", PASSWORD) is None


def test_la_mejora_calcula_el_hash_sin_tener_una_conexion_prestada(monkeypatch):
    ana = _crear("ana")
    monkeypatch.setenv("PASSWORD_SCRYPT_N", "2048")
    calcular = modulo_usuario_dao.generar_hash
    prestadas = []

    def anotando(password: str) -> str:
        prestadas.append(en_uso())
        return calcular(password)

    monkeypatch.setattr(modulo_usuario_dao, "generar_hash", anotando)

    assert UsuarioDAO.autenticar("ana", PASSWORD) == Usuario(ana.id_usuario, "ana")
    assert prestadas == [0]
    assert _hash_de(ana.id_usuario).split("$")[1] == "2048"


def test_la_mejora_dentro_de_una_transaccion_del_llamador_va_con_ella(monkeypatch):
    ana = _crear("ana")
    antes = _hash_de(ana.id_usuario)
    monkeypatch.setenv("PASSWORD_SCRYPT_N", "2048")

    with pytest.raises(RuntimeError), CursorDelPool() as cursor:
        assert UsuarioDAO.autenticar("ana", PASSWORD, cursor=cursor) is not None
        raise RuntimeError("el llamador deshace su transacción")

    assert _hash_de(ana.id_usuario) == antes
    with CursorDelPool() as cursor:
        assert UsuarioDAO.autenticar("ana", PASSWORD, cursor=cursor) is not None
    assert _hash_de(ana.id_usuario).split("$")[1] == "2048"


def test_conexion_perdida_al_guardar_la_mejora_no_deja_nada_y_el_siguiente_acierto_mejora(
    monkeypatch, matar_la_proxima_conexion
):
    ana = _crear("ana")
    antes = _hash_de(ana.id_usuario)
    monkeypatch.setenv("PASSWORD_SCRYPT_N", "2048")
    calcular = modulo_usuario_dao.generar_hash

    def y_se_cae_la_conexion(password: str) -> str:
        matar_la_proxima_conexion()
        return calcular(password)

    monkeypatch.setattr(modulo_usuario_dao, "generar_hash", y_se_cae_la_conexion)
    with pytest.raises(ConexionError):
        UsuarioDAO.autenticar("ana", PASSWORD)
    monkeypatch.setattr(modulo_usuario_dao, "generar_hash", calcular)

    assert en_uso() == 0
    assert _hash_de(ana.id_usuario) == antes
    assert UsuarioDAO.autenticar("ana", PASSWORD) == Usuario(ana.id_usuario, "ana")
    assert _hash_de(ana.id_usuario).split("$")[1] == "2048"


@pytest.mark.parametrize(
    "desmedido",
    [
        pytest.param("1073741824$8$1", id="n_2_a_la_30"),
        pytest.param("524288$8$1", id="n_512_mib"),
        pytest.param("16384$1048576$1", id="r_enorme"),
        pytest.param("16384$8$1000000", id="p_enorme"),
        pytest.param("mil$8$1", id="formato_roto"),
    ],
)
def test_coste_desmedido_guardado_en_la_base_es_un_inicio_fallido_rapido_con_aviso(
    derivaciones, caplog, desmedido
):
    caplog.set_level(logging.WARNING, logger="acceso_datos")
    ana = _crear("ana")
    sal, derivada = _hash_de(ana.id_usuario).split("$")[4:]
    roto = f"scrypt${desmedido}${sal}${derivada}"  # como las filas de antes de este cambio
    _guardar_hash(ana.id_usuario, roto)
    derivaciones.clear()

    inicio = time.monotonic()
    assert UsuarioDAO.autenticar("ana", PASSWORD) is None
    assert time.monotonic() - inicio < 1  # cota de cuelgue: no se calcula nada desmedido

    assert derivaciones == [(1024, 8, 1)]  # solo la de relleno, con el coste actual
    assert any(
        r.levelno == logging.WARNING and "se rechaza" in r.getMessage() for r in caplog.records
    )
    assert PASSWORD not in caplog.text
    assert _hash_de(ana.id_usuario) == roto
    assert en_uso() == 0


# --- usernames y contraseñas en Unicode: NFC y NFD son lo mismo -------------------------


def test_username_nfd_y_nfc_son_el_mismo_usuario_y_no_se_duplican():
    jose = _crear(JOSE_NFC)
    filas = _filas()

    with pytest.raises(RegistroDuplicadoError):
        _crear(JOSE_NFD)

    assert _filas() == filas
    assert UsuarioDAO.buscar_por_username(JOSE_NFD) == Usuario(jose.id_usuario, JOSE_NFC)
    assert UsuarioDAO.autenticar(JOSE_NFD, PASSWORD) == Usuario(jose.id_usuario, JOSE_NFC)


def test_username_nfd_se_guarda_normalizado_a_nfc():
    jose = _crear(JOSE_NFD)

    assert jose.username == JOSE_NFC
    assert _filas()[0][1] == JOSE_NFC
    assert UsuarioDAO.buscar_por_username(JOSE_NFC) == Usuario(jose.id_usuario, JOSE_NFC)

    UsuarioDAO.actualizar(Usuario(jose.id_usuario, JOSE_NFD + "2"))
    assert _filas()[0][1] == JOSE_NFC + "2"


def _orden_del_readme_para_normalizar_usernames() -> str:
    lineas = (RAIZ / "docs" / "usuarios.md").read_text(encoding="utf-8").splitlines()
    return next(linea for linea in lineas if "normalize(username, NFC)" in linea)


def _insertar_como_antes(username: str) -> int:
    """Una fila como las guardaba la versión anterior: el username tal cual llegó."""
    with CursorDelPool() as cursor:
        cursor.execute(
            "INSERT INTO usuario (username, password) VALUES (%s, %s) RETURNING id_usuario",
            (username, generar_hash(PASSWORD)),
        )
        return cursor.fetchone()[0]


def test_la_orden_del_readme_normaliza_los_usernames_nfd_de_una_base_anterior():
    id_jose = _insertar_como_antes(JOSE_NFD)
    assert UsuarioDAO.autenticar(JOSE_NFC, PASSWORD) is None  # ya no se encontraría

    with CursorDelPool() as cursor:
        cursor.execute(_orden_del_readme_para_normalizar_usernames())

    assert _filas()[0][1] == JOSE_NFC
    assert UsuarioDAO.autenticar(JOSE_NFD, PASSWORD) == Usuario(id_jose, JOSE_NFC)


def test_la_orden_del_readme_con_dos_usernames_que_coinciden_falla_sin_cambiar_nada():
    _crear(JOSE_NFC)
    _insertar_como_antes(JOSE_NFD)
    filas = _filas()

    with pytest.raises(psycopg2.errors.UniqueViolation), CursorDelPool() as cursor:
        cursor.execute(_orden_del_readme_para_normalizar_usernames())

    assert _filas() == filas


@pytest.mark.parametrize(
    ("creada", "escrita"), [(CLAVE_NFC, CLAVE_NFD), (CLAVE_NFD, CLAVE_NFC)], ids=["nfc", "nfd"]
)
def test_password_escrita_en_la_otra_forma_unicode_inicia_sesion(creada, escrita):
    jose = _crear(JOSE_NFC, creada)

    assert UsuarioDAO.autenticar(JOSE_NFC, escrita) == Usuario(jose.id_usuario, JOSE_NFC)


# --- entradas inválidas, hostiles y duplicadas ------------------------------------------


@pytest.mark.parametrize(("campo", "username", "password"), DATOS_INVALIDOS)
def test_insertar_dato_invalido_lanza_datos_invalidos_y_no_toca_la_tabla(campo, username, password):
    _crear("ana")
    filas, secuencia = _filas(), _estado_de_la_secuencia()

    with pytest.raises(DatosInvalidosError, match=f"^El campo {etiqueta(campo)} ") as error:
        UsuarioDAO.insertar(Usuario(username=username, password=password))

    assert isinstance(error.value, ValueError)
    assert PASSWORD not in str(error.value)
    assert _filas() == filas
    assert _estado_de_la_secuencia() == secuencia  # no llegó a ejecutarse ningún SQL


@pytest.mark.parametrize(
    ("campo", "username", "password"),
    # Sin password, actualizar conserva la contraseña: no es un error.
    [caso for caso in DATOS_INVALIDOS if caso.id != "password_none"],
)
def test_actualizar_dato_invalido_lanza_datos_invalidos_y_no_toca_la_tabla(
    campo, username, password
):
    ana = _crear("ana")
    filas = _filas()

    with pytest.raises(DatosInvalidosError, match=f"^El campo {etiqueta(campo)} "):
        UsuarioDAO.actualizar(Usuario(ana.id_usuario, username, password))

    assert _filas() == filas


@pytest.mark.parametrize("username", USERNAMES_HOSTILES)
def test_username_hostil_o_internacional_va_y_vuelve_exacto(username):
    _crear("ana")
    usuario = _crear(username)

    assert UsuarioDAO.buscar_por_id(usuario.id_usuario).username == username
    assert UsuarioDAO.buscar_por_username(username).id_usuario == usuario.id_usuario
    assert [u.username for u in UsuarioDAO.seleccionar()] == ["ana", username]
    assert [u.username for u in UsuarioDAO.iterar()] == ["ana", username]
    assert UsuarioDAO.autenticar(username, PASSWORD) == Usuario(usuario.id_usuario, username)
    assert _filas()[1][1] == username
    assert UsuarioDAO.contar() == 2  # la tabla sigue ahí y nada más coincidió


@pytest.mark.parametrize("username", USERNAMES_HOSTILES)
def test_actualizar_a_un_username_hostil_lo_guarda_exacto(username):
    ana = _crear("ana")

    assert UsuarioDAO.actualizar(Usuario(ana.id_usuario, username)) == 1

    assert _filas()[0][1] == username
    assert UsuarioDAO.buscar_por_username(username) == Usuario(ana.id_usuario, username)


@pytest.mark.parametrize("username", ["ana", "' OR '1'='1", "ñandú😀"])
def test_insertar_username_duplicado_lanza_registro_duplicado_y_no_pierde_nada(username):
    original = _crear(username)
    _crear("bea")
    filas = _filas()
    repetido = Usuario(username=username, password=OTRA_PASSWORD)

    with pytest.raises(RegistroDuplicadoError) as error:
        UsuarioDAO.insertar(repetido)

    assert username in str(error.value)
    assert OTRA_PASSWORD not in str(error.value)
    assert repetido.id_usuario is None
    assert _filas() == filas
    assert UsuarioDAO.contar() == 2
    assert UsuarioDAO.autenticar(username, PASSWORD) == Usuario(original.id_usuario, username)
    assert UsuarioDAO.autenticar(username, OTRA_PASSWORD) is None


def test_actualizar_a_un_username_ocupado_lanza_registro_duplicado_y_no_pierde_nada():
    _crear("ana")
    bea = _crear("bea")
    filas = _filas()

    with pytest.raises(RegistroDuplicadoError, match="'ana'"):
        UsuarioDAO.actualizar(Usuario(bea.id_usuario, "ana", OTRA_PASSWORD))

    assert _filas() == filas
    assert UsuarioDAO.autenticar("bea", PASSWORD) == Usuario(bea.id_usuario, "bea")


def test_llamadas_con_cursor_ven_sus_cambios_y_nadie_mas_hasta_el_final_del_with():
    with CursorDelPool() as cursor:
        UsuarioDAO.insertar(Usuario(username="ana", password=PASSWORD), cursor=cursor)

        assert UsuarioDAO.contar(cursor=cursor) == 1
        assert UsuarioDAO.buscar_por_username("ana", cursor=cursor) is not None
        assert [u.username for u in UsuarioDAO.iterar(cursor=cursor)] == ["ana"]
        assert [u.username for u in UsuarioDAO.seleccionar_pagina(5, cursor=cursor)] == ["ana"]
        assert UsuarioDAO.autenticar("ana", PASSWORD, cursor=cursor) is not None
        assert UsuarioDAO.contar() == 0  # otra conexión: el DAO no confirmó nada

    assert UsuarioDAO.contar() == 1


FILAS_GRANDES = 100_000
# Generosa frente a un lote de 1000 filas (unos cientos de KiB), pero por debajo de lo que
# crece un cursor del cliente, que guarda la tabla entera en libpq (~10 MiB aquí).
COTA_CRECIMIENTO_KIB = 4 * 1024


@pytest.mark.lento
def test_iterar_100000_filas_mantiene_la_memoria_plana():
    with CursorDelPool() as cursor:
        # Un solo INSERT ... SELECT: 100 000 insertar() tardarían minutos en scrypt.
        cursor.execute(
            "INSERT INTO usuario (username, password) "
            "SELECT 'usuario_' || lpad(i::text, 42, '0'), %s "
            "FROM generate_series(1, %s) AS i",
            (generar_hash("relleno-123"), FILAS_GRANDES),
        )

    # Cada método en un proceso nuevo (el mismo instrumento que `make bench`).
    iterar = medir_en_subproceso("iterar", os.environ)
    seleccionar = medir_en_subproceso("seleccionar", os.environ)
    print(f"\nRSS máximo sobre la línea base: iterar {iterar}, seleccionar {seleccionar}")

    assert iterar.filas == iterar.ordenadas == FILAS_GRANDES
    assert seleccionar.filas == FILAS_GRANDES
    assert iterar.crecimiento_kib < COTA_CRECIMIENTO_KIB
    # El instrumento detecta el crecimiento: con las 100 000 filas en memoria sí se pasa.
    assert seleccionar.crecimiento_kib > COTA_CRECIMIENTO_KIB


# --- servidor perdido -----------------------------------------------------------------

# Las llamadas de todo DAO están en la suite de contrato; aquí, las propias de UsuarioDAO.
LLAMADAS = [
    pytest.param(lambda: UsuarioDAO.buscar_por_username("ana"), id="buscar_por_username"),
    pytest.param(lambda: UsuarioDAO.autenticar("ana", PASSWORD), id="autenticar"),
]


@pytest.mark.parametrize("llamar", LLAMADAS)
def test_conexion_perdida_durante_una_llamada_lanza_conexion_error_y_no_deja_nada(
    matar_la_proxima_conexion, llamar
):
    _crear("ana")
    antes = _filas()
    matar_la_proxima_conexion()

    with pytest.raises(ConexionError, match="Se perdió la conexión"):
        llamar()

    assert en_uso() == 0
    assert _filas() == antes


@pytest.mark.lento
def test_servidor_parado_lanza_conexion_error_y_al_volver_no_hay_nada_a_medias(
    monkeypatch, directorio_temporal
):
    servidor = ServidorEmbebido(directorio_temporal / "datos")
    en_marcha = True
    try:
        monkeypatch.setenv("DB_HOST", servidor.socket)
        monkeypatch.setenv("DB_PORT", str(servidor.puerto))
        monkeypatch.setenv("DB_USER", "postgres")
        monkeypatch.setenv("DB_PASSWORD", "")
        monkeypatch.setenv("DB_NAME", "postgres")
        monkeypatch.setenv("DB_CONNECT_TIMEOUT", "2")
        Conexion.cerrar_conexiones()  # el próximo pool lee esta configuración
        crear_esquema()
        ana = _crear("ana")

        servidor.detener()
        en_marcha = False
        # Primero con la conexión que el pool ya tenía; después sin poder abrir otra.
        with pytest.raises(ConexionError):
            UsuarioDAO.insertar(Usuario(username="bea", password=PASSWORD))
        assert en_uso() == 0
        with pytest.raises(ConexionError):
            UsuarioDAO.actualizar(Usuario(ana.id_usuario, "ana2", OTRA_PASSWORD))
        assert en_uso() == 0

        servidor.arrancar()
        en_marcha = True
        assert _ids_y_nombres(UsuarioDAO.seleccionar()) == [(ana.id_usuario, "ana")]
        assert UsuarioDAO.autenticar("ana", PASSWORD) is not None
    finally:
        Conexion.cerrar_conexiones()
        if en_marcha:
            servidor.detener()
