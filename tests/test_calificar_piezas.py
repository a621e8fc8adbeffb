"""El calificador por dentro, sin ejecutar entregas: cómo encuentra las piezas, qué ve
leyendo el código, sus enlaces, sus procesos y los caminos raros de la sonda (con un
sustituto del código del alumno, nunca de psycopg2)."""

import functools
import importlib
import json
import os
import sys
import threading
import time
from pathlib import Path

import psycopg2.pool
import pytest
from ayudas import RAIZ

from acceso_datos.calificar import calificador, revision, sonda
from acceso_datos.calificar.aislamiento import ejecutar, leer_resultados, preparar_carpetas
from acceso_datos.calificar.comprobaciones import BIEN, MAL, NO_APLICA, Referencia, Resultado
from acceso_datos.calificar.piezas import METODOS_CONEXION, METODOS_DAO, mapear, rol_de
from acceso_datos.calificar.referencias import enlace


def entrega(carpeta: Path, **archivos: str) -> Path:
    """Una entrega con esos archivos (nombre sin .py -> código)."""
    carpeta.mkdir(parents=True, exist_ok=True)
    for nombre, codigo in archivos.items():
        ruta = carpeta / f"{nombre}.py"
        ruta.parent.mkdir(parents=True, exist_ok=True)
        ruta.write_text(codigo, encoding="utf-8")
    return carpeta


CONEXION = """
class Conexion:
    @classmethod
    def obtenerConexion(cls): ...
    @classmethod
    def liberarConexion(cls, conexion): ...
"""


# --- piezas -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("nombre", "rol"),
    [
        ("obtenerPool", "obtener_pool"),
        ("getPool", "obtener_pool"),
        ("obtener_conexion", "obtener_conexion"),
        ("unlockcnn", "liberar_conexion"),
        ("librearConexion", "liberar_conexion"),
        ("liberarConexon", "liberar_conexion"),  # una errata nueva, por parecido
        ("cerrarconexiones", "cerrar_conexiones"),
        ("CerrarConexiones", "cerrar_conexiones"),
        ("cerrarConexion", "cerrar_conexiones"),
        ("closeAll", "cerrar_conexiones"),
        ("leer_configuracion", None),
    ],
)
def test_los_metodos_de_conexion_se_reconocen_por_su_nombre_normalizado(nombre, rol):
    assert rol_de(nombre, METODOS_CONEXION) == rol


def test_los_metodos_del_dao_se_reconocen_en_espanol_y_en_ingles():
    assert [rol_de(n, METODOS_DAO) for n in ("select", "insert", "update", "delete")] == list(
        METODOS_DAO
    )
    assert rol_de("registrar", METODOS_DAO) is None


def test_lo_de_un_entorno_virtual_o_un_enlace_no_es_de_la_entrega(tmp_path):
    carpeta = entrega(tmp_path / "e", conexion=CONEXION)
    entrega(carpeta / "venv" / "lib", otra_conexion=CONEXION.replace("Conexion", "Otra"))
    (carpeta / "enlace.py").symlink_to(carpeta / "venv" / "lib" / "otra_conexion.py")
    mapeo = mapear(carpeta)
    assert [m.nombre for m in mapeo.modulos] == ["conexion.py"]
    assert mapeo.conexion is not None and mapeo.conexion.nombre == "Conexion"


def test_un_archivo_ilegible_se_dice_y_uno_en_latin1_se_lee(tmp_path):
    carpeta = entrega(tmp_path / "e")
    (carpeta / "enorme.py").write_text("x = 1\n" * 200_000, encoding="utf-8")
    (carpeta / "nulos.py").write_bytes(b"x = 1\0\n")
    (carpeta / "windows.py").write_bytes(
        "# contraseña\nclass Usuario:\n    pass\n".encode("latin-1")
    )
    errores = {m.nombre: m.error for m in mapear(carpeta).modulos}
    assert errores["enorme.py"] == "enorme.py ocupa más de 1 MB: no se analiza"
    assert errores["nulos.py"] == (
        "nulos.py no es Python válido: source code string cannot contain null bytes"
    )
    assert errores["windows.py"] is None


def test_una_entrega_que_es_un_paquete_se_importa_con_su_nombre(tmp_path):
    carpeta = entrega(
        tmp_path / "mi-lab",
        __init__="",
        conexion=CONEXION,
        cursor_del_pool="from .conexion import Conexion\n",
    )
    mapeo = mapear(carpeta)
    assert mapeo.paquete == "mi_lab"
    assert {m.nombre: m.nombre_importacion for m in mapeo.modulos}[
        "conexion.py"
    ] == "mi_lab.conexion"


def test_usuario_se_lee_por_sus_propiedades_del_curso(tmp_path):
    carpeta = entrega(
        tmp_path / "e",
        usuario="""
class Usuario:
    def __init__(self, id_user=None, nombre_usuario=None, clave=None):
        self._id = id_user
    @property
    def username(self): ...
    @property
    def nombre_completo(self): ...
""",
    )
    usuario = mapear(carpeta).usuario
    assert usuario is not None
    assert usuario.parametros == {
        "id_usuario": "id_user",
        "username": "nombre_usuario",
        "password": "clave",
    }
    assert usuario.atributos == {
        "id_usuario": "id_user",
        "username": "username",
        "password": "clave",
    }


def test_lo_que_falta_dice_por_que(tmp_path):
    mapeo = mapear(entrega(tmp_path / "e", notas="x = 1\n", roto="def (:\n"))
    assert mapeo.describir()["conexion"]["falta"].startswith("no hay ninguna clase")
    assert "roto.py no es Python válido" in mapeo.motivos["usuario_dao"]
    assert mapeo.motivos["menu"].startswith("ningún módulo pide datos con input()")


# --- lo que se ve leyendo el código -------------------------------------------------------


def test_el_sql_con_valores_formateados_se_encuentra_y_el_de_parametros_no(tmp_path):
    codigo = """
TABLA = 'usuario'
_INSERTAR = 'INSERT INTO usuario (username) VALUES (%s)'
def malas(cursor, id_usuario, nombre, usuario):
    cursor.execute('SELECT * FROM usuario WHERE id_usuario = %s' % id_usuario)
    cursor.execute('DELETE FROM usuario WHERE id_usuario = {}'.format(id_usuario))
    cursor.execute("SELECT * FROM usuario WHERE username = '" + nombre + "'")
    cursor.execute(f'UPDATE usuario SET username = {usuario.username}')
    cursor.execute(_INSERTAR % (nombre,))
    cursor.execute('SELECT * FROM usuario WHERE id_usuario = %s' % str(id_usuario))
def buenas(cursor, nombre):
    cursor.execute(f'SELECT * FROM {TABLA}')
    cursor.execute('SELECT * FROM %s' % (TABLA,))
    cursor.execute('SELECT * FROM usuario LIMIT %d' % 10)
    cursor.execute('SELECT * FROM usuario WHERE username = %s', (nombre,))
    print('Usuario: %s' % nombre)
"""
    hallazgos = revision.sql_formateado(mapear(entrega(tmp_path / "e", usuario_dao=codigo)))
    assert [h.linea for h in hallazgos] == [5, 6, 7, 8, 9, 10]


def test_las_passwords_escritas_se_encuentran_y_se_tapan(tmp_path):
    codigo = """
import os
import psycopg2
from psycopg2 import pool
PASSWORD_VACIA = ''
DB_PASS = os.environ['DB_PASS']
conexion = psycopg2.connect(host='localhost', password='admin1')
p = pool.SimpleConnectionPool(1, 5, dsn='host=localhost dbname=test_db password=admin2')
URL = 'postgresql://postgres:admin3@localhost/test_db'
clave = os.getenv('DB_PASSWORD', 'admin4')
sin_defecto = os.environ.get('DB_PASSWORD')
print('password=%s', 'x')
if __name__ == '__main__':
    _PASSWORD = 'de_prueba'
"""
    mapeo = mapear(entrega(tmp_path / "e", conexion=codigo))
    hallazgos = revision.passwords_escritas(mapeo)
    assert [h.linea for h in hallazgos] == [7, 8, 9, 10]
    assert all("admin" not in h.codigo for h in hallazgos)
    assert hallazgos[0].codigo == "conexion = psycopg2.connect(host='***', password='***')"
    assert hallazgos[1].codigo == "p = pool.SimpleConnectionPool(1, 5, dsn='***')"
    assert revision.passwords_leidas(mapeo) == ["DB_PASS", "DB_PASSWORD"]


def test_sys_exit_cuenta_en_la_biblioteca_pero_no_en_sus_pruebas(tmp_path):
    codigo = "import sys\ndef f():\n    sys.exit(1)\nif __name__ == '__main__':\n    exit()\n"
    hallazgos = revision.salidas_del_programa(mapear(entrega(tmp_path / "e", conexion=codigo)))
    assert [(h.archivo, h.linea) for h in hallazgos] == [("conexion.py", 3)]


def test_un_menu_que_se_ejecuta_al_importarse_se_reconoce(tmp_path):
    carpeta = entrega(
        tmp_path / "e",
        menu='"""Menú."""\nimport os\nOPCIONES = 5\ndef f(): ...\nwhile True:\n    input()\n',
        tranquilo="def main():\n    input()\nif __name__ == '__main__':\n    main()\n",
        roto="while True input()\n",
    )
    modulos = {m.nombre: m for m in mapear(carpeta).modulos}
    assert revision.se_ejecuta_al_importar(modulos["menu.py"]).linea == 5
    assert revision.se_ejecuta_al_importar(modulos["tranquilo.py"]) is None
    assert revision.se_ejecuta_al_importar(modulos["roto.py"]) is None


# --- enlaces, nombres y procesos ----------------------------------------------------------


def test_un_enlace_a_una_linea_que_ya_no_existe_falla_claro():
    with pytest.raises(LookupError, match="no tiene la línea"):
        enlace(Referencia("acceso_datos.usuario_dao", "UsuarioDAO", texto="_NO_EXISTE = "))


def _envolver(funcion):
    @functools.wraps(funcion)
    def envuelta(*argumentos, **opciones):
        return funcion(*argumentos, **opciones)

    return envuelta


@_envolver
def decorada():
    """Con un decorador, como puede estar lo que enlazan los informes."""


def test_un_enlace_a_una_funcion_decorada_lleva_a_su_def():
    destino = enlace(Referencia(__name__, "decorada"))
    assert destino.ruta == Path("tests/test_calificar_piezas.py")
    lineas = (RAIZ / destino.ruta).read_text(encoding="utf-8").splitlines()
    assert lineas[destino.linea - 1].startswith("def decorada")


def test_dos_entregas_con_el_mismo_nombre_no_se_pisan(tmp_path):
    nombres = calificador.nombres_de_entregas([tmp_path / "a" / "ana", tmp_path / "b" / "ana"])
    assert nombres == ["ana", "ana_2"]


def test_un_sys_exit_escrito_vale_aunque_no_se_pudiera_medir(tmp_path):
    mapeo = mapear(entrega(tmp_path / "e", conexion="import sys\nsys.exit()\n"))
    medido = Resultado(NO_APLICA, "falta la clase Conexion")
    resultado = calificador._sin_sys_exit(medido, mapeo)
    assert resultado == Resultado(MAL, "conexion.py llama a sys.exit() en la línea 2")


def test_los_resultados_a_medias_se_leen_hasta_la_ultima_linea_entera(tmp_path):
    ruta = tmp_path / "r.jsonl"
    ruta.write_text('{"tipo": "empieza"}\n{"tipo": "resul', encoding="utf-8")
    assert leer_resultados(ruta) == [{"tipo": "empieza"}]


def test_ctrl_c_del_profesor_mata_el_grupo_de_la_entrega(tmp_path):
    carpetas = preparar_carpetas(entrega(tmp_path / "e", x=""), tmp_path / "t", "entrega")
    orden = ["sh", "-c", "echo $$ > pid; sleep 60 & wait"]

    def interrumpir() -> int:
        if (carpetas.copia / "pid").exists():
            raise KeyboardInterrupt
        return 0

    with pytest.raises(KeyboardInterrupt):
        ejecutar(orden, carpetas, 60, "ctrl_c", avance=interrumpir, limite_por_paso=60)
    pid = int((carpetas.copia / "pid").read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_un_proceso_que_avanza_sin_fin_se_corta_a_su_tiempo_total(tmp_path):
    carpetas = preparar_carpetas(entrega(tmp_path / "e", x=""), tmp_path / "t", "entrega")
    orden = ["sh", "-c", "while true; do echo x >> progreso; sleep 0.05; done"]

    def avance() -> int:
        progreso = carpetas.copia / "progreso"
        return progreso.stat().st_size if progreso.exists() else 0

    inicio = time.monotonic()
    ejecucion = ejecutar(orden, carpetas, 1.0, "sin_fin", avance=avance, limite_por_paso=30)
    assert ejecucion.codigo is None and time.monotonic() - inicio < 10
    assert ejecucion.motivo_del_final() == "siguió en marcha más de 1 s y se detuvo"


# --- la sonda, con un sustituto del código del alumno -------------------------------------


@pytest.fixture
def encargo(monkeypatch, tmp_path):
    """Lo que la sonda lee de su encargo, con esperas cortas."""
    for clave, valor in {
        "raiz": str(tmp_path),
        "copia": str(tmp_path),
        "limites": {"espera": 0.3, "archivo": 16 * 2**20},
    }.items():
        monkeypatch.setitem(sonda.ENCARGO, clave, valor)


class Conexion:
    """Lo mínimo de una entrega para las comprobaciones del pool: sus métodos."""

    def __init__(self, **metodos):
        self.metodos = metodos
        self.piezas = {"conexion": {"clase": "Conexion", "metodos": {r: r for r in metodos}}}

    def clase(self, pieza):
        return Conexion

    def metodo(self, pieza, rol):
        return self.metodos[rol]

    def nombre_de(self, pieza, rol):
        return f"Conexion.{rol}()"


class Contexto:
    def __init__(self, entrega, pool=None):
        self.entrega = entrega
        self._pool = pool

    def pool(self):
        return self._pool


def test_seis_hilos_que_fallan_o_se_cuelgan_se_dicen(encargo):
    def falla():
        raise ValueError("sin servidor")

    veredicto = sonda.pool_entre_hilos(Contexto(Conexion(obtener_pool=falla)))
    assert veredicto[0] == MAL and "6 de 6 hilos" in veredicto[1] and "ValueError" in veredicto[1]
    suelta = threading.Event()
    try:
        veredicto = sonda.pool_entre_hilos(Contexto(Conexion(obtener_pool=suelta.wait)))
        assert veredicto[0] == MAL and "sigue esperando tras 0,3 s (se cuelga)" in veredicto[1]
    finally:
        suelta.set()


def test_el_pool_lleno_que_devuelve_none_se_cuelga_o_sale_se_dice(encargo):
    pool = psycopg2.pool.SimpleConnectionPool(0, 2)  # minconn=0: no conecta

    def prestadas(*desenlaces):
        pendientes = list(desenlaces)

        def obtener():
            desenlace = pendientes.pop(0) if pendientes else None
            return desenlace() if callable(desenlace) else desenlace

        return Contexto(Conexion(obtener_conexion=obtener), pool)

    suelta = threading.Event()
    try:
        casos = {
            "devolvió None con solo 0 de 2": prestadas(None),
            "sigue esperando otra tras": prestadas(object(), object(), suelta.wait),
            "llama a sys.exit()": prestadas(object(), object(), lambda: sys.exit(1)),
        }
        for esperado, contexto in casos.items():
            resultado, detalle = sonda.pool_agotado(contexto)
            assert resultado == MAL and esperado in detalle
    finally:
        suelta.set()


def test_con_la_base_caida_devolver_algo_en_vez_de_lanzar_esta_mal(encargo):
    ninguna = Conexion(obtener_pool=object, obtener_conexion=lambda: None)
    assert sonda.sin_sys_exit(Contexto(ninguna)) == (
        MAL,
        "con la base sin responder, Conexion.obtener_conexion() devuelve None en vez de lanzar "
        "una excepción",
    )
    otra = Conexion(obtener_conexion=lambda: "sin conexión")
    assert sonda.sin_sys_exit(Contexto(otra)) == (
        MAL,
        "con la base sin responder, Conexion.obtener_conexion() devuelve str sin avisar",
    )
    assert sonda.DESVIO.fallar is False


def test_una_conexion_que_falla_al_importarse_lanza_o_sale(encargo):
    class NoImporta(Conexion):
        def __init__(self, motivo):
            super().__init__(obtener_conexion=object)
            self.motivo = motivo

        def clase(self, pieza):
            raise sonda.NoAplica(self.motivo)

    importar = "no se pudo importar conexion.py: falló con OperationalError: no existe"
    assert sonda.sin_sys_exit(Contexto(NoImporta(importar)))[0] == BIEN
    with pytest.raises(sonda.NoAplica, match="falta la clase Conexion"):
        sonda.sin_sys_exit(Contexto(NoImporta("falta la clase Conexion: no hay ninguna")))


def test_los_errores_se_describen_sin_passwords(encargo, tmp_path):
    assert sonda.describir_error(SystemExit(1)) == "llamó a sys.exit()"
    error = SyntaxError("invalid syntax", (str(tmp_path / "conexion.py"), 3, 1, "print 'x'"))
    assert (
        sonda.describir_error(error) == "conexion.py no es Python válido: invalid syntax (línea 3)"
    )
    lleno = OSError(27, "File too large")
    assert "escribió más de 16 MB" in sonda.describir_error(lleno)
    assert sonda.describir_error(ValueError("clave Ana-1234 mala")) == (
        "falló con ValueError: clave *** mala"
    )


def test_una_comprobacion_que_la_sonda_no_esperaba_no_aplica_y_las_demas_siguen(
    encargo, tmp_path, monkeypatch
):
    def rota(contexto):
        raise KeyError("algo del calificador")

    monkeypatch.setitem(sonda.COMPROBACIONES, "crud_seleccionar", rota)
    resultados = tmp_path / "r.jsonl"
    encargo_ = {"raiz": str(tmp_path), "piezas": {}, "comprobaciones": ["crud_seleccionar"],
                "limites": {"por_comprobacion": 5}}  # fmt: skip
    sonda.ejecutar_biblioteca(encargo_, sonda.Resultados(str(resultados)))
    [_, resultado] = leer_resultados(resultados)
    assert resultado["resultado"] == NO_APLICA
    assert resultado["detalle"].startswith(
        "el calificador no pudo hacer esta comprobación (falló con KeyError"
    )


# --- la orden, cuando no puede escribir o se interrumpe -----------------------------------


def test_la_orden_dice_que_no_pudo_escribir_los_informes(servidor_de_pruebas, tmp_path, capsys):
    from acceso_datos.calificar.__main__ import main

    vacia = tmp_path / "vacia"
    vacia.mkdir()
    (tmp_path / "ocupado").write_text("", encoding="utf-8")
    assert main([str(vacia), "--salida", str(tmp_path / "ocupado")]) == 1
    assert "Error: no se pudo escribir" in capsys.readouterr().err


def test_ctrl_c_en_la_orden_sale_sin_traza(servidor_de_pruebas, tmp_path, monkeypatch, capsys):
    orden = importlib.import_module("acceso_datos.calificar.__main__")

    def interrumpir(*argumentos, **opciones):
        raise KeyboardInterrupt

    monkeypatch.setattr(orden, "calificar", interrumpir)
    assert orden.main([str(tmp_path)]) == 130
    assert "Interrumpido" in capsys.readouterr().err


def test_la_sonda_escribe_cada_resultado_en_una_linea_json(tmp_path):
    resultados = sonda.Resultados(str(tmp_path / "r.jsonl"))
    resultados.anotar(tipo="resultado", detalle="línea con «comillas»")
    assert json.loads((tmp_path / "r.jsonl").read_text(encoding="utf-8")) == {
        "tipo": "resultado",
        "detalle": "línea con «comillas»",
    }
    assert BIEN == "bien"
