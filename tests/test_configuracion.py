"""Lectura de la configuración: valores por defecto, prioridades y cada valor no válido.

Tests unitarios puros: `leer_configuracion` recibe un diccionario (o el entorno del test y
un `.env` temporal); ninguno toca la base de datos.
"""

import os
import re

import pytest

from acceso_datos.configuracion import RAIZ_PROYECTO, Configuracion, leer_configuracion
from acceso_datos.errores import ConfiguracionError, ErrorAccesoDatos

# Una contraseña que no puede aparecer por casualidad en ningún mensaje.
SECRETO = "Clave-Unica-7f3a9c"
URL_CON_SECRETO = f"postgresql://alumno:{SECRETO}@db.ejemplo.org:6543/tienda"


@pytest.fixture
def entorno_vacio(monkeypatch):
    """Quita del entorno real toda variable que la configuración lee."""
    for nombre in list(os.environ):
        if nombre.startswith(("DB_", "LOG_", "PASSWORD_", "DATABASE_URL")):
            monkeypatch.delenv(nombre)
    return monkeypatch


def test_sin_variables_usa_los_valores_por_defecto_y_el_servidor_embebido():
    configuracion = leer_configuracion({})

    assert configuracion.embebido is True
    assert configuracion.host is None
    assert configuracion.puerto == 5432
    assert configuracion.base == "test_db"
    assert configuracion.usuario == "postgres"
    assert configuracion.password is None
    assert (configuracion.pool_min, configuracion.pool_max) == (1, 5)
    assert configuracion.pool_timeout == 30
    assert configuracion.pool_max_idle == 300
    assert configuracion.query_timeout == 30
    assert configuracion.pool_reset == ""
    assert configuracion.application_name == "acceso_datos"
    assert configuracion.log_level == "DEBUG"
    assert configuracion.directorio_embebido == RAIZ_PROYECTO / ".pgdata"
    assert configuracion.log_file == RAIZ_PROYECTO / "acceso_datos.log"
    coste = configuracion.coste_scrypt
    assert (coste.n, coste.r, coste.p) == (2**15, 8, 3)


def test_db_host_apunta_a_un_servidor_propio_con_puerto_por_defecto():
    configuracion = leer_configuracion(
        {"DB_HOST": "127.0.0.1", "DB_USER": "alumno", "DB_PASSWORD": "admin"}
    )

    assert configuracion.embebido is False
    assert (configuracion.host, configuracion.puerto) == ("127.0.0.1", 5432)
    assert (configuracion.usuario, configuracion.password) == ("alumno", "admin")
    assert configuracion.base == "test_db"


def test_las_variables_del_pool_y_del_log_se_leen_y_convierten():
    configuracion = leer_configuracion(
        {
            "DB_POOL_MIN": "2",
            "DB_POOL_MAX": "8",
            "DB_POOL_TIMEOUT": "2.5",
            "DB_POOL_MAX_IDLE": "0",
            "DB_POOL_RESET": " DISCARD ALL ",
            "DB_QUERY_TIMEOUT": "0.5",
            "DB_APPLICATION_NAME": "laboratorio",
            "LOG_LEVEL": "info",
        }
    )

    assert (configuracion.pool_min, configuracion.pool_max) == (2, 8)
    assert configuracion.pool_timeout == 2.5
    assert configuracion.pool_max_idle == 0
    assert configuracion.pool_reset == "DISCARD ALL"
    assert configuracion.query_timeout == 0.5
    assert configuracion.application_name == "laboratorio"
    assert configuracion.log_level == "INFO"


def test_database_url_gana_a_db_host_y_a_las_demas_variables_de_conexion():
    configuracion = leer_configuracion(
        {
            "DATABASE_URL": URL_CON_SECRETO,
            "DB_HOST": "otro.servidor",
            "DB_PORT": "5999",
            "DB_NAME": "otra_base",
            "DB_USER": "otro_usuario",
            "DB_PASSWORD": "otra_clave",
        }
    )

    assert configuracion.embebido is False
    assert (configuracion.host, configuracion.puerto) == ("db.ejemplo.org", 6543)
    assert (configuracion.base, configuracion.usuario) == ("tienda", "alumno")
    assert configuracion.password == SECRETO


def test_database_url_sin_base_ni_usuario_toma_db_name_y_db_user():
    configuracion = leer_configuracion(
        {"DATABASE_URL": "postgres://db.ejemplo.org", "DB_NAME": "tienda", "DB_USER": "alumno"}
    )

    assert (configuracion.host, configuracion.puerto) == ("db.ejemplo.org", 5432)
    assert (configuracion.base, configuracion.usuario) == ("tienda", "alumno")


def test_database_url_con_varios_servidores_y_parametros_pasa_todo_a_libpq():
    url = f"postgresql://alumno:{SECRETO}@h1:5432,h2:5433/tienda?target_session_attrs=read-write"

    configuracion = leer_configuracion({"DATABASE_URL": url})

    assert (configuracion.host, configuracion.puerto) == ("h1,h2", (5432, 5433))
    parametros = configuracion.parametros_conexion()
    assert (parametros["host"], parametros["port"]) == ("h1,h2", "5432,5433")
    assert parametros["target_session_attrs"] == "read-write"
    assert (
        configuracion.destino() == "PostgreSQL en h1:5432, h2:5433, base 'tienda', usuario 'alumno'"
    )


def test_database_url_conserva_sus_parametros_y_un_puerto_vacio_es_el_5432():
    url = "postgresql://alumno@h1,h2:5433/tienda?target_session_attrs=any&sslmode=disable"

    parametros = leer_configuracion({"DATABASE_URL": url}).parametros_conexion()

    assert (parametros["host"], parametros["port"]) == ("h1,h2", "5432,5433")
    assert parametros["target_session_attrs"] == "any"  # lo que pide la URL manda
    assert parametros["sslmode"] == "disable"


def test_db_host_y_db_port_aceptan_listas_de_la_misma_longitud():
    configuracion = leer_configuracion(
        {"DB_HOST": "10.0.0.1, 10.0.0.2", "DB_PORT": "5432,5433", "DB_PASSWORD": SECRETO}
    )

    assert (configuracion.host, configuracion.puerto) == ("10.0.0.1,10.0.0.2", (5432, 5433))
    # La aplicación escribe: con varios servidores, libpq debe elegir el que acepta escrituras.
    assert configuracion.parametros_conexion()["target_session_attrs"] == "read-write"
    assert "10.0.0.1:5432, 10.0.0.2:5433" in configuracion.destino()
    assert SECRETO not in configuracion.destino()


def test_db_host_con_varios_servidores_y_un_solo_puerto_lo_usa_para_todos():
    configuracion = leer_configuracion({"DB_HOST": "h1,h2,h3", "DB_PORT": "6543"})

    assert configuracion.parametros_conexion()["port"] == 6543
    assert configuracion.servidores() == [("h1", 6543), ("h2", 6543), ("h3", 6543)]


def test_sin_servidor_ni_contrasena_libpq_usa_sus_valores_por_defecto():
    # Sin host, libpq conecta por su socket Unix por defecto; sin password, no manda ninguna.
    parametros = Configuracion(embebido=False).parametros_conexion()

    assert "host" not in parametros
    assert "password" not in parametros
    assert (parametros["dbname"], parametros["user"], parametros["port"]) == (
        "test_db", "postgres", 5432,
    )  # fmt: skip


def test_un_solo_servidor_no_cambia_target_session_attrs():
    assert (
        "target_session_attrs"
        not in leer_configuracion({"DB_HOST": "127.0.0.1"}).parametros_conexion()
    )


def test_sin_database_url_ni_db_host_es_embebido_aunque_haya_otras_variables():
    configuracion = leer_configuracion(
        {"DB_PORT": "6000", "DB_NAME": "tienda", "DB_USER": "alumno", "DB_PASSWORD": SECRETO}
    )

    assert configuracion.embebido is True
    assert configuracion.host is None
    assert configuracion.base == "tienda"


def test_sin_replicas_no_hay_pool_de_lecturas():
    configuracion = leer_configuracion({"DB_HOST": "127.0.0.1"})

    assert configuracion.replicas is None
    assert configuracion.replicas_retraso_max == 5


def test_db_replicas_da_un_pool_de_lecturas_con_los_datos_del_primario():
    configuracion = leer_configuracion(
        {
            "DATABASE_URL": f"{URL_CON_SECRETO}?sslmode=require",
            "DB_POOL_MAX": "8",
            "DB_REPLICAS": "r1, r2:5433,[::1]:5434",
            "DB_REPLICAS_RETRASO_MAX": "2.5",
        }
    )

    replicas = configuracion.replicas
    assert replicas is not None
    # Sin puerto, el del primario; la base, el usuario y la contraseña, los del primario.
    assert replicas.servidores() == [("r1", 6543), ("r2", 5433), ("::1", 5434)]
    assert (replicas.base, replicas.usuario, replicas.password) == ("tienda", "alumno", SECRETO)
    # Su propio pool: mínimo 0 (crearlo no conecta) y, sin DB_REPLICAS_POOL_MAX, el del primario.
    assert (replicas.pool_min, replicas.pool_max) == (0, 8)
    assert configuracion.replicas_retraso_max == 2.5
    parametros = replicas.parametros_conexion()
    # Lo de libpq: solo standbys, al azar entre ellos; y las demás opciones del primario.
    assert parametros["target_session_attrs"] == "standby"
    assert parametros["load_balance_hosts"] == "random"
    assert parametros["sslmode"] == "require"
    assert SECRETO not in repr(configuracion)
    assert "r1:6543, r2:5433, ::1:5434" in replicas.destino()


def test_con_una_sola_replica_no_hace_falta_repartir():
    configuracion = leer_configuracion(
        {"DB_HOST": "h1,h2", "DB_REPLICAS": "r1", "DB_REPLICAS_POOL_MAX": "3"}
    )

    assert configuracion.replicas is not None
    parametros = configuracion.replicas.parametros_conexion()
    # La del primario (read-write, por tener dos servidores) no pasa a las réplicas.
    assert parametros["target_session_attrs"] == "standby"
    assert "load_balance_hosts" not in parametros
    assert configuracion.replicas.pool_max == 3


def test_database_url_replicas_gana_a_db_replicas_y_respeta_lo_que_pide():
    url = "postgresql://lector:otra@r1:6000,r2:6001/informes?target_session_attrs=prefer-standby"

    configuracion = leer_configuracion(
        {"DB_HOST": "h0", "DB_PASSWORD": SECRETO, "DB_REPLICAS": "x", "DATABASE_URL_REPLICAS": url}
    )

    replicas = configuracion.replicas
    assert replicas is not None
    assert replicas.servidores() == [("r1", 6000), ("r2", 6001)]
    assert (replicas.base, replicas.usuario, replicas.password) == ("informes", "lector", "otra")
    parametros = replicas.parametros_conexion()
    assert parametros["target_session_attrs"] == "prefer-standby"
    assert parametros["load_balance_hosts"] == "random"


def test_database_url_replicas_sin_contrasena_toma_la_del_primario_si_es_el_mismo_usuario():
    primario = {"DB_HOST": "h0", "DB_USER": "alumno", "DB_PASSWORD": SECRETO}

    mismo = leer_configuracion({**primario, "DATABASE_URL_REPLICAS": "postgresql://r1/tienda"})
    otro = leer_configuracion({**primario, "DATABASE_URL_REPLICAS": "postgresql://lector@r1/t"})

    assert mismo.replicas is not None and otro.replicas is not None
    assert (mismo.replicas.usuario, mismo.replicas.password) == ("alumno", SECRETO)
    assert (otro.replicas.usuario, otro.replicas.password) == ("lector", None)


def test_una_url_de_replicas_con_arroba_sin_codificar_se_rechaza_sin_repetir_nada():
    with pytest.raises(ConfiguracionError) as capturado:
        leer_configuracion(
            {"DB_HOST": "h0", "DATABASE_URL_REPLICAS": "postgresql://a:Mi@Clave-c41d@r1/t"}
        )

    mensaje = str(capturado.value)
    assert "DATABASE_URL_REPLICAS" in mensaje and "%40" in mensaje
    assert "Clave-c41d" not in mensaje


def test_una_variable_vacia_cuenta_como_no_definida():
    configuracion = leer_configuracion({"DATABASE_URL": "", "DB_HOST": "", "DB_POOL_MAX": ""})

    assert configuracion.embebido is True
    assert configuracion.pool_max == 5


@pytest.mark.parametrize(
    ("entorno", "variable", "problema"),
    [
        pytest.param({"DB_POOL_MAX": "cinco"}, "DB_POOL_MAX", "no es un número", id="max-texto"),
        pytest.param({"DB_POOL_MIN": "1.5"}, "DB_POOL_MIN", "no es un número", id="min-decimal"),
        pytest.param(
            {"DB_POOL_MIN": "6", "DB_POOL_MAX": "5"},
            "DB_POOL_MIN",
            "no puede ser mayor que DB_POOL_MAX",
            id="min-mayor-que-max",
        ),
        pytest.param({"DB_POOL_MAX": "0"}, "DB_POOL_MAX", "al menos 1", id="max-cero"),
        pytest.param({"DB_POOL_MIN": "-1"}, "DB_POOL_MIN", "al menos 0", id="min-negativo"),
        pytest.param(
            {"DB_POOL_TIMEOUT": "-1"}, "DB_POOL_TIMEOUT", "positivo o cero", id="timeout-negativo"
        ),
        pytest.param(
            {"DB_POOL_TIMEOUT": "pronto"}, "DB_POOL_TIMEOUT", "no es un número", id="timeout-texto"
        ),
        pytest.param(
            {"DB_POOL_MAX_IDLE": "-5"}, "DB_POOL_MAX_IDLE", "positivo o cero", id="idle-negativo"
        ),
        pytest.param(
            {"DB_POOL_MAX_IDLE": "nan"}, "DB_POOL_MAX_IDLE", "positivo o cero", id="idle-nan"
        ),
        pytest.param(
            {"DB_HOST": "127.0.0.1", "DB_PORT": "cinco"},
            "DB_PORT",
            "no es un número",
            id="puerto-texto",
        ),
        pytest.param(
            {"DB_HOST": "127.0.0.1", "DB_PORT": "70000"},
            "DB_PORT",
            "entre 1 y 65535",
            id="puerto-demasiado-alto",
        ),
        pytest.param(
            {"DB_HOST": "127.0.0.1", "DB_PORT": "0"}, "DB_PORT", "entre 1 y 65535", id="puerto-0"
        ),
        pytest.param(
            {"DATABASE_URL": f"postgresql://alumno:{SECRETO}@servidor:70000/tienda"},
            "DATABASE_URL",
            "entre 1 y 65535",
            id="url-puerto-fuera-de-rango",
        ),
        pytest.param(
            {"DATABASE_URL": f"mysql://alumno:{SECRETO}@servidor/tienda"},
            "DATABASE_URL",
            "esquema desconocido 'mysql'",
            id="url-mysql",
        ),
        pytest.param(
            {"DATABASE_URL": f"alumno:{SECRETO}@servidor/tienda"},
            "DATABASE_URL",
            "esquema desconocido '(ninguno)'",
            id="url-sin-esquema",
        ),
        pytest.param(
            # Lo que va antes de :// incluye la contraseña: no puede mostrarse como esquema.
            {"DATABASE_URL": f"alumno:{SECRETO}://servidor/tienda"},
            "DATABASE_URL",
            "esquema desconocido '(ninguno)'",
            id="url-contraseña-antes-de-barras",
        ),
        pytest.param(
            {"DATABASE_URL": f"postgresql://alumno:{SECRETO}@servidor/tienda?opcion_rara=1"},
            "DATABASE_URL",
            "no se puede interpretar",
            id="url-ilegible",
        ),
        pytest.param(
            {"DB_HOST": "h1,h2", "DB_PORT": "5432,5433,5434"},
            "DB_PORT",
            "3 puertos para 2 servidores",
            id="mas-puertos-que-servidores",
        ),
        pytest.param(
            {"DB_HOST": "h1,,h2"}, "DB_HOST", "tiene un elemento vacío", id="host-vacio-en-lista"
        ),
        pytest.param(
            {"DB_HOST": "h1,h2", "DB_PORT": "5432,cinco"},
            "DB_PORT",
            "no es un número",
            id="puerto-texto-en-lista",
        ),
        pytest.param(
            {"DATABASE_URL": f"postgresql://alumno:{SECRETO}@h1,h2/tienda?port=1,2,3"},
            "DATABASE_URL",
            "3 puertos para 2 servidores",
            id="url-mas-puertos-que-servidores",
        ),
        pytest.param(
            {"DATABASE_URL": f"postgresql://alumno:{SECRETO}@h1:5432,h2:70000/tienda"},
            "DATABASE_URL",
            "entre 1 y 65535",
            id="url-segundo-puerto-fuera-de-rango",
        ),
        pytest.param({"LOG_LEVEL": "HABLADOR"}, "LOG_LEVEL", "no es un nivel válido", id="log"),
        pytest.param(
            {"PASSWORD_SCRYPT_N": "3"}, "PASSWORD_SCRYPT_N", "potencia de 2", id="scrypt-n-3"
        ),
        pytest.param(
            {"PASSWORD_SCRYPT_N": "mucho"}, "PASSWORD_SCRYPT_N", "no es un número", id="scrypt-n"
        ),
        pytest.param(
            {"PASSWORD_SCRYPT_N": str(2**30)},
            "PASSWORD_SCRYPT_N",
            "entre 2 y 262144",
            id="scrypt-n-enorme",
        ),
        pytest.param(
            {"PASSWORD_SCRYPT_P": "0"}, "PASSWORD_SCRYPT_P", "entre 1 y 16", id="scrypt-p-0"
        ),
        pytest.param(
            {"DB_QUERY_TIMEOUT": "0"}, "DB_QUERY_TIMEOUT", "mayor que cero", id="query-cero"
        ),
        pytest.param(
            {"DB_QUERY_TIMEOUT": "rato"}, "DB_QUERY_TIMEOUT", "no es un número", id="query-texto"
        ),
        # Un plazo absurdo no se acepta para fallar después (1e10 no cabe en las esperas
        # del sistema: OverflowError); inf y nan tampoco.
        pytest.param(
            {"DB_POOL_TIMEOUT": "1e10"}, "DB_POOL_TIMEOUT", "no mayor que", id="timeout-1e10"
        ),
        pytest.param(
            {"DB_QUERY_TIMEOUT": "inf"}, "DB_QUERY_TIMEOUT", "no mayor que", id="query-inf"
        ),
        pytest.param(
            {"DB_QUERY_TIMEOUT": "nan"}, "DB_QUERY_TIMEOUT", "mayor que cero", id="query-nan"
        ),
        pytest.param(
            {"DB_CONNECT_TIMEOUT": "10000000000"},
            "DB_CONNECT_TIMEOUT",
            "entre 1 y",
            id="connect-1e10",
        ),
        pytest.param(
            {"DB_HOST": "h0", "DB_REPLICAS": "r1,,r2"},
            "DB_REPLICAS",
            "tiene un elemento vacío",
            id="replicas-vacia-en-lista",
        ),
        pytest.param(
            {"DB_HOST": "h0", "DB_REPLICAS": "r1:70000"},
            "DB_REPLICAS",
            "entre 1 y 65535",
            id="replicas-puerto-fuera-de-rango",
        ),
        pytest.param(
            {"DB_HOST": "h0", "DB_REPLICAS": "r1:cinco"},
            "DB_REPLICAS",
            "servidor:puerto",
            id="replicas-puerto-texto",
        ),
        pytest.param(
            {"DB_HOST": "h0", "DB_REPLICAS": "[::1]5433"},
            "DB_REPLICAS",
            "entre corchetes",
            id="replicas-ipv6-sin-dos-puntos",
        ),
        pytest.param(
            {"DB_REPLICAS": "r1"},
            "DB_REPLICAS",
            "necesita un primario propio",
            id="replicas-embebido",
        ),
        pytest.param(
            {"DB_HOST": "h0", "DATABASE_URL_REPLICAS": f"mysql://alumno:{SECRETO}@r1/tienda"},
            "DATABASE_URL_REPLICAS",
            "esquema desconocido 'mysql'",
            id="url-replicas-mysql",
        ),
        pytest.param(
            {"DB_HOST": "h0", "DATABASE_URL_REPLICAS": f"postgresql://alumno:{SECRETO}@r1:0/t"},
            "DATABASE_URL_REPLICAS",
            "entre 1 y 65535",
            id="url-replicas-puerto-0",
        ),
        pytest.param(
            {"DB_HOST": "h0", "DATABASE_URL_REPLICAS": f"postgresql://a:{SECRETO}@r1/t?rara=1"},
            "DATABASE_URL_REPLICAS",
            "no se puede interpretar",
            id="url-replicas-ilegible",
        ),
        pytest.param(
            {"DB_REPLICAS_POOL_MAX": "0"}, "DB_REPLICAS_POOL_MAX", "al menos 1", id="replicas-max-0"
        ),
        pytest.param(
            {"DB_EMBEDDED_DIR": "datos\x00"},
            "DB_EMBEDDED_DIR",
            "no es una ruta que se pueda usar",
            id="ruta-con-nulo",
        ),
        pytest.param(
            {"LOG_FILE": "~usuario_que_no_existe_9f2c/log"},
            "LOG_FILE",
            "no es una ruta que se pueda usar",
            id="ruta-de-un-usuario-que-no-existe",
        ),
        pytest.param(
            {"DB_REPLICAS_RETRASO_MAX": "un rato"},
            "DB_REPLICAS_RETRASO_MAX",
            "no es un número",
            id="replicas-retraso-texto",
        ),
        pytest.param(
            {"DB_REPLICAS_RETRASO_MAX": "-1"},
            "DB_REPLICAS_RETRASO_MAX",
            "positivo o cero",
            id="replicas-retraso-negativo",
        ),
    ],
)
def test_un_valor_no_valido_da_configuracion_error_que_nombra_la_variable(
    entorno, variable, problema
):
    with pytest.raises(ConfiguracionError) as capturado:
        leer_configuracion({"DB_PASSWORD": SECRETO, **entorno})

    mensaje = str(capturado.value)
    assert variable in mensaje
    assert problema in mensaje
    assert SECRETO not in mensaje
    assert SECRETO not in repr(capturado.value)


@pytest.mark.parametrize(
    ("password", "resto"),
    [
        pytest.param("Mi@Clave#Unica/c41d", "@localhost:5432/curso", id="arroba-y-barra"),
        pytest.param("Clave@Secreta-9e2b", "@localhost:5432/curso", id="dos-arrobas"),
        pytest.param("7788/Secreta-9e2b", "@localhost/curso", id="barra"),
        pytest.param("Secreta-9e2b", "@h1/curso?application_name=a@b", id="arroba-en-la-base"),
    ],
)
def test_una_url_con_arroba_o_barra_sin_codificar_se_rechaza_sin_repetir_nada(password, resto):
    # libpq la partiría por otra @ o /, y un trozo de la contraseña sería el servidor o la base.
    with pytest.raises(ConfiguracionError) as capturado:
        leer_configuracion({"DATABASE_URL": f"postgresql://alumno:{password}{resto}"})

    mensaje = str(capturado.value)
    assert "DATABASE_URL" in mensaje
    assert "%40" in mensaje and "%2F" in mensaje  # cómo escribirlas
    for trozo in re.split(r"[@/#]", password):
        assert trozo not in mensaje
        assert trozo not in repr(capturado.value)


def test_la_contrasena_con_arroba_y_barra_codificadas_se_lee_entera():
    url = "postgresql://alumno:Mi%40Clave%23Unica%2Fc41d@localhost:5432/curso"

    configuracion = leer_configuracion({"DATABASE_URL": url})

    assert configuracion.password == "Mi@Clave#Unica/c41d"
    assert (configuracion.host, configuracion.puerto, configuracion.base) == (
        "localhost",
        5432,
        "curso",
    )


@pytest.mark.parametrize("password", ["clave con espacios", "cla:ve", "cla?ve", "cla#ve", "c,l"])
def test_la_contrasena_con_otros_signos_sin_codificar_se_sigue_leyendo(password):
    # libpq las entiende sin ambigüedad: la contraseña llega hasta la única @.
    url = f"postgresql://alumno:{password}@localhost:5432/curso"

    configuracion = leer_configuracion({"DATABASE_URL": url})

    assert (configuracion.password, configuracion.host) == (password, "localhost")


def test_sin_la_arroba_el_error_del_puerto_no_repite_la_contrasena_y_sugiere_la_arroba():
    with pytest.raises(ConfiguracionError) as capturado:
        leer_configuracion({"DATABASE_URL": f"postgresql://alumno:{SECRETO}localhost:5432/t"})

    assert SECRETO not in str(capturado.value)
    assert "@" in str(capturado.value)


def test_configuracion_error_es_un_error_de_acceso_a_datos():
    with pytest.raises(ErrorAccesoDatos):
        leer_configuracion({"DB_POOL_MAX": "x"})


@pytest.mark.parametrize(
    "entorno",
    [
        pytest.param({"DATABASE_URL": URL_CON_SECRETO}, id="database-url"),
        pytest.param({"DB_HOST": "127.0.0.1", "DB_PASSWORD": SECRETO}, id="db-password"),
    ],
)
def test_la_contrasena_no_aparece_al_mostrar_la_configuracion(entorno):
    configuracion = leer_configuracion(entorno)

    assert configuracion.password == SECRETO
    assert SECRETO not in repr(configuracion)
    assert SECRETO not in str(configuracion)
    assert SECRETO not in configuracion.destino()


@pytest.mark.parametrize("password", ["  clave con espacios  ", " ", "\tclave\t"])
def test_la_contrasena_se_guarda_exacta_con_sus_espacios(password):
    configuracion = leer_configuracion({"DB_HOST": "127.0.0.1", "DB_PASSWORD": password})

    assert configuracion.password == password
    assert configuracion.parametros_conexion()["password"] == password


def test_el_entorno_real_gana_al_archivo_env(entorno_vacio, tmp_path):
    archivo = tmp_path / ".env"
    archivo.write_text(
        "# como en el curso\n"
        "DB_HOST=127.0.0.1\n"
        "DB_PORT=6001\n"
        "DB_NAME=base_del_archivo\n"
        "DB_PASSWORD=admin\n",
        encoding="utf-8",
    )
    entorno_vacio.setenv("DB_NAME", "base_del_entorno")
    entorno_vacio.setenv("DB_PORT", "6002")

    configuracion = leer_configuracion(archivo_env=archivo)

    assert configuracion.base == "base_del_entorno"
    assert configuracion.puerto == 6002
    # Lo que solo está en el archivo también cuenta.
    assert configuracion.host == "127.0.0.1"
    assert configuracion.password == "admin"


def test_una_variable_vacia_en_el_entorno_anula_la_del_archivo_env(entorno_vacio, tmp_path):
    archivo = tmp_path / ".env"
    archivo.write_text(f"DATABASE_URL={URL_CON_SECRETO}\n", encoding="utf-8")
    entorno_vacio.setenv("DATABASE_URL", "")

    assert leer_configuracion(archivo_env=archivo).embebido is True


def test_sin_archivo_env_basta_el_entorno_real(entorno_vacio, tmp_path):
    entorno_vacio.setenv("DB_HOST", "servidor.aula")

    configuracion = leer_configuracion(archivo_env=tmp_path / "no_existe.env")

    assert configuracion.host == "servidor.aula"


def test_la_configuracion_se_lee_en_cada_llamada_y_no_al_importar(entorno_vacio, tmp_path):
    sin_env = tmp_path / "no_existe.env"
    entorno_vacio.setenv("DB_POOL_MAX", "3")
    antes = leer_configuracion(archivo_env=sin_env)

    entorno_vacio.setenv("DB_POOL_MAX", "7")
    entorno_vacio.setenv("DB_HOST", "127.0.0.1")
    despues = leer_configuracion(archivo_env=sin_env)

    assert (antes.pool_max, antes.embebido) == (3, True)
    assert (despues.pool_max, despues.embebido) == (7, False)
