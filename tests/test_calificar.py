"""El calificador de entregas (issue 24), contra entregas escritas como las de los alumnos.

Todas las entregas de tests/entregas y las variantes de tests/variantes (la correcta con
uno o varios archivos cambiados) se califican una sola vez por módulo, en paralelo y con
bases desechables en el servidor de la sesión; cada test mira una parte de ese resultado.
"""

import csv
import json
import os
import re
import shutil
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import psycopg2
import pytest
from ayudas import RAIZ
from psycopg2 import sql

from acceso_datos.calificar import calificador, informes, sonda
from acceso_datos.calificar.aislamiento import ejecutar, preparar_carpetas
from acceso_datos.calificar.base_desechable import PREFIJO, BaseNoDisponible, base_desechable
from acceso_datos.calificar.calificador import EntregaNoEncontrada, calificar
from acceso_datos.calificar.comprobaciones import BIEN, COMPROBACIONES, IDS, MAL, NO_APLICA
from acceso_datos.calificar.referencias import enlace

ENTREGAS = RAIZ / "tests" / "entregas"
VARIANTES = RAIZ / "tests" / "variantes"
CORRECTA = ENTREGAS / "correcta"

# Lo que debe recibir cada entrega en cada comprobación, en el orden de IDS:
# B bien, M mal, - no aplica. Las columnas, abreviadas:
# sel ins act eli: crud_*; com: devuelve_si_falla_commit; sql: devuelve_si_falla_sql;
# rol: rollback_si_error; hil: pool_entre_hilos; ago: pool_agotado; exi: sin_sys_exit;
# cie: cierra_conexiones; par: sql_con_parametros; pwd: password_en_claro;
# cre: credenciales_en_codigo; men: menu_entrada_invalida.
ESPERADO = """
entrega                   sel ins act eli com sql rol hil ago exi cie par pwd cre men
correcta                   B   B   B   B   B   B   B   B   B   B   B   B   B   B   B
curso                      B   B   B   B   M   B   B   M   B   M   B   B   M   M   M
snake_case                 B   B   B   B   B   B   B   B   B   B   B   B   B   B   B
metodos_en_ingles          B   B   B   B   B   B   B   B   B   B   B   B   B   B   B
usuariodao                 B   B   B   B   B   B   B   B   B   B   B   B   B   B   B
tabla_usuarios             B   B   B   B   B   B   B   B   B   B   B   B   B   B   B
commit_sin_finally         B   B   B   B   M   B   B   B   B   B   B   B   B   B   B
pool_sin_candado           B   B   B   B   B   B   B   M   B   B   B   B   B   B   B
sys_exit                   B   B   B   B   B   B   B   B   B   M   B   B   B   B   B
pool_none                  B   B   B   B   B   B   B   B   B   M   B   B   B   B   B
password_guardada          B   B   B   B   B   B   B   B   B   B   B   B   M   B   B
password_en_log            B   B   B   B   B   B   B   B   B   B   B   B   M   B   B
credenciales_en_codigo     B   B   B   B   B   B   B   B   B   B   B   B   B   M   B
menu_int_input             B   B   B   B   B   B   B   B   B   B   B   B   B   B   M
setter_roto                B   B   M   B   B   B   B   B   B   B   B   B   B   B   B
update_con_error           B   B   M   B   B   B   B   B   B   B   B   B   B   B   B
atributo_mal_escrito       B   B   B   M   B   B   B   B   B   B   B   B   B   B   B
columna_mal_escrita        M   B   B   B   B   B   B   B   B   B   B   B   B   B   B
oculta_errores             B   M   B   B   B   B   B   B   B   B   B   B   B   B   B
exit_traga_errores         B   M   B   B   B   B   M   B   B   B   B   B   B   B   B
seleccionar_imprime        M   B   B   B   B   B   B   B   B   B   B   B   B   B   B
seleccionar_cursor         M   B   B   B   B   B   B   B   B   B   B   B   B   B   B
insertar_texto             B   M   B   B   B   B   B   B   B   B   B   B   B   B   B
rollback_mal_escrito       B   B   B   B   M   M   B   B   B   B   B   B   B   B   B
libera_solo_al_confirmar   B   B   B   B   B   M   B   B   B   B   B   B   B   B   B
dao_sin_cursor_del_pool    B   B   B   B   B   M   B   B   B   B   B   B   B   B   B
sql_formateado             B   B   B   B   B   B   B   B   B   B   B   M   B   B   B
agotado_devuelve_none      B   B   B   B   B   B   B   B   M   B   B   B   B   B   B
cierre_falso               B   B   B   B   B   B   B   B   B   B   M   B   B   B   B
commit_siempre             B   B   B   B   B   B   M   B   B   B   B   B   B   B   B
escribe_al_importar        B   B   B   B   B   B   B   B   B   B   B   B   B   B   B
menu_sin_fin               B   B   B   B   B   B   B   B   B   B   B   B   B   B   M
no_importable              -   -   -   -   -   -   -   -   -   -   -   -   -   -   -
dao_de_instancia           M   -   M   B   B   B   B   B   B   B   -   B   -   B   -
dao_sin_where              M   M   M   M   B   M   B   B   B   B   B   B   -   B   B
cursor_raro                M   B   M   M   B   B   B   B   -   B   B   B   M   B   B
pool_propio                B   M   M   M   -   -   B   B   -   M   M   B   M   B   B
conexion_al_importar       B   B   M   B   -   B   M   B   M   M   B   B   B   B   -
modulos_raros              B   B   B   B   B   B   B   B   B   M   B   B   B   B   B
enter_sin_return           M   M   M   M   -   -   -   B   B   B   B   B   -   B   B
se_cuelga                  M   M   M   M   B   B   B   B   B   M   M   B   B   B   M
"""
LETRAS = {"B": BIEN, "M": MAL, "-": NO_APLICA}
# Se califica aparte, con límites de tiempo cortos: se cuelga, muere y escribe sin fin.
CON_LIMITES_CORTOS = "se_cuelga"


def _esperado() -> dict[str, dict[str, str]]:
    filas = [linea.split() for linea in ESPERADO.strip().splitlines()[1:]]
    return {
        fila[0]: dict(zip(IDS, (LETRAS[letra] for letra in fila[1:]), strict=True))
        for fila in filas
    }


ESPERADOS = _esperado()


def armar_entrega(destino: Path, nombre: str) -> Path:
    """La entrega `nombre`: una de tests/entregas, o la correcta con los archivos de su
    variante encima."""
    carpeta = destino / nombre
    if (ENTREGAS / nombre).is_dir():
        shutil.copytree(ENTREGAS / nombre, carpeta)
    else:
        shutil.copytree(CORRECTA, carpeta)
        for archivo in (VARIANTES / nombre).iterdir():
            shutil.copy(archivo, carpeta / archivo.name)
    return carpeta


def conectar(configuracion, base=None):
    """Una conexión directa en autocommit, que se cierra al salir del `with`."""
    conexion = psycopg2.connect(
        **configuracion.con(base=base or configuracion.base).parametros_conexion()
    )
    conexion.autocommit = True
    return closing(conexion)


def restos(servidor) -> set[str]:
    """Las bases y los roles del calificador que hay en el servidor."""
    with conectar(servidor, "postgres") as conexion, conexion.cursor() as cursor:
        cursor.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s "
            "UNION ALL SELECT rolname FROM pg_roles WHERE rolname LIKE %s",
            (f"{PREFIJO}%", f"{PREFIJO}%"),
        )
        return {fila[0] for fila in cursor.fetchall()}


@pytest.fixture(scope="module")
def base_del_profesor(servidor_de_pruebas):
    """Una base «del profesor» con la tabla del curso y una fila; se borra al final."""
    configuracion = servidor_de_pruebas.con(base=f"{servidor_de_pruebas.base}_profesor")
    with conectar(servidor_de_pruebas, "postgres") as conexion, conexion.cursor() as cursor:
        nombre = sql.Identifier(configuracion.base)
        cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(nombre))
        cursor.execute(sql.SQL("CREATE DATABASE {}").format(nombre))
    with conectar(configuracion) as conexion, conexion.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE usuario (id_usuario SERIAL PRIMARY KEY, username VARCHAR(50), "
            "password VARCHAR(50)); INSERT INTO usuario (username, password) VALUES ('profe', 'x')"
        )
    yield configuracion
    with conectar(servidor_de_pruebas, "postgres") as conexion, conexion.cursor() as cursor:
        cursor.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(configuracion.base)
            )
        )


def entrega_que_apunta_al_profesor(destino: Path, profesor) -> Path:
    """La correcta, con los datos de la base del profesor escritos en su Conexion y un
    módulo que, al importarse, inserta una fila en ella: nada de eso debe llegarle."""
    carpeta = destino / "apunta_al_profesor"
    shutil.copytree(CORRECTA, carpeta)
    datos = dict(
        host=profesor.host, port=profesor.puerto, dbname=profesor.base, user=profesor.usuario
    )
    texto = (carpeta / "conexion.py").read_text(encoding="utf-8")
    for nombre, valor in (
        ("_HOST", datos["host"]),
        ("_DB_PORT", datos["port"]),
        ("_DATABASE", datos["dbname"]),
    ):
        texto = re.sub(rf"    {nombre} = .*", f"    {nombre} = {str(valor)!r}", texto)
    (carpeta / "conexion.py").write_text(texto, encoding="utf-8")
    (carpeta / "alta_inicial.py").write_text(
        "import psycopg2\n\n"
        f"conexion = psycopg2.connect(**{datos!r})\n"
        "with conexion, conexion.cursor() as cursor:\n"
        '    cursor.execute("INSERT INTO usuario (username, password) "\n'
        "                   \"VALUES ('intruso', 'x')\")\n",
        encoding="utf-8",
    )
    return carpeta


@pytest.fixture(scope="module")
def calificadas(servidor_de_pruebas, base_del_profesor, tmp_path_factory):
    """Todas las entregas calificadas una vez, con lo que había antes en el servidor y en
    el entorno para compararlo después."""
    destino = tmp_path_factory.mktemp("entregas")
    carpetas = [
        armar_entrega(destino, nombre) for nombre in ESPERADOS if nombre != CON_LIMITES_CORTOS
    ]
    carpetas.append(entrega_que_apunta_al_profesor(destino, base_del_profesor))
    entorno = dict(os.environ)
    antes = restos(servidor_de_pruebas)
    resultado = calificar(carpetas, servidor_de_pruebas, paralelo=3)
    return {
        "por_nombre": {c.entrega: c for c in resultado},
        "todas": resultado,
        "entorno_antes": entorno,
        "entorno_despues": dict(os.environ),
        "restos_antes": antes,
        "restos_despues": restos(servidor_de_pruebas),
    }


def _veredictos(calificacion) -> dict[str, str]:
    return {id_: r.resultado for id_, r in calificacion.comprobaciones.items()}


@pytest.mark.parametrize("nombre", [n for n in ESPERADOS if n != CON_LIMITES_CORTOS])
def test_cada_entrega_recibe_en_cada_comprobacion_lo_esperado(calificadas, nombre):
    calificacion = calificadas["por_nombre"][nombre]
    distintas = {
        id_: f"{r.resultado} (se esperaba {ESPERADOS[nombre][id_]}): {r.detalle}"
        for id_, r in calificacion.comprobaciones.items()
        if r.resultado != ESPERADOS[nombre][id_]
    }
    assert distintas == {}


def test_cada_entrega_tarda_menos_de_un_minuto(calificadas):
    lentas = {c.entrega: c.segundos for c in calificadas["todas"] if c.segundos >= 60}
    assert lentas == {}


def test_la_base_y_el_entorno_del_profesor_quedan_intactos(
    calificadas, servidor_de_pruebas, base_del_profesor
):
    # La entrega tenía escritos el servidor, el puerto y la base del profesor, y un módulo
    # que inserta al importarse: todo fue a su base desechable.
    assert _veredictos(calificadas["por_nombre"]["apunta_al_profesor"]) == ESPERADOS["correcta"]
    with conectar(base_del_profesor) as conexion, conexion.cursor() as cursor:
        cursor.execute("SELECT username FROM usuario")
        assert cursor.fetchall() == [("profe",)]
    assert calificadas["restos_despues"] == calificadas["restos_antes"] == set()
    assert calificadas["entorno_despues"] == calificadas["entorno_antes"]


def test_el_mapeo_dice_que_se_tomo_por_cada_pieza(calificadas):
    mapeos = {nombre: c.mapeo for nombre, c in calificadas["por_nombre"].items()}
    assert mapeos["curso"]["conexion"]["metodos"] == {
        "obtener_pool": "getPool",
        "obtener_conexion": "obtenerConexion",
        "liberar_conexion": "unlockcnn",
        "cerrar_conexiones": "closeAll",
    }
    assert mapeos["usuariodao"]["usuario_dao"]["archivo"] == "usuariodao.py"
    assert mapeos["usuariodao"]["usuario_dao"]["clase"] == "UsuarioDao"
    assert mapeos["usuariodao"]["usuario"]["atributos"]["id_usuario"] == "id_user"
    assert mapeos["usuariodao"]["conexion"]["metodos"]["liberar_conexion"] == "librearConexion"
    assert mapeos["usuariodao"]["conexion"]["metodos"]["cerrar_conexiones"] == "cerrarconexiones"
    assert mapeos["metodos_en_ingles"]["conexion"]["archivo"] == "ConexionPool.py"
    assert mapeos["metodos_en_ingles"]["conexion"]["clase"] == "PoolConexion"
    assert mapeos["metodos_en_ingles"]["usuario_dao"]["metodos"] == {
        "seleccionar": "select",
        "insertar": "insert",
        "actualizar": "update",
        "eliminar": "delete",
    }
    assert mapeos["metodos_en_ingles"]["menu"]["archivo"] == "menu.py"
    assert mapeos["tabla_usuarios"]["paquete"] == "laboratorio_usuarios"
    assert (
        mapeos["tabla_usuarios"]["conexion"]["metodos"]["cerrar_conexiones"] == "CerrarConexiones"
    )
    assert mapeos["snake_case"]["conexion"]["archivo"] == "Conexion.py"
    assert any("Conexion.py" in aviso for aviso in mapeos["snake_case"]["avisos"])
    # Con PersonaDAO al lado, el DAO es el de usuarios.
    assert mapeos["escribe_al_importar"]["usuario_dao"]["clase"] == "UsuarioDAO"
    assert "falta" in mapeos["no_importable"]["conexion"]
    assert "no es Python válido" in mapeos["no_importable"]["conexion"]["falta"]


def test_lo_que_hace_cada_modulo_al_importarse_queda_en_el_mapeo(calificadas):
    al_importar = {n: c.mapeo["al_importar"] for n, c in calificadas["por_nombre"].items()}
    assert "UPDATE persona" in al_importar["escribe_al_importar"]["PersonaDao.py"]
    assert al_importar["conexion_al_importar"]["conexion.py"] == "conecta con la base"
    raros = al_importar["modulos_raros"]
    assert "pide datos con input()" in raros["pide_datos.py"]
    assert (
        "sys.exit()" in raros["cerrar.py"]
        and "imprime «Este módulo no se usa»" in raros["cerrar.py"]
    )
    assert "No module named 'sympy_que_no_esta_instalado'" in raros["instalar.py"]
    assert raros["contar.py"] == "ejecuta 1 sentencia SQL; imprime «Hay 0 usuarios»"
    assert "se ejecuta al importarse" in al_importar["curso"]["menu_app_usuario.py"]
    assert al_importar["snake_case"] == {}  # su menú espera a `if __name__ == "__main__"`


def test_cada_detalle_es_una_linea_en_espanol(calificadas):
    for calificacion in calificadas["todas"]:
        for id_, resultado in calificacion.comprobaciones.items():
            assert resultado.detalle and "\n" not in resultado.detalle, (calificacion.entrega, id_)
            assert "Traceback" not in resultado.detalle
    for nombre in ("password_guardada", "password_en_log", "curso"):
        detalle = calificadas["por_nombre"][nombre].comprobaciones["password_en_claro"].detalle
        assert "más allá del curso" in detalle


def test_los_informes_no_repiten_ninguna_password(calificadas, tmp_path):
    informes.escribir_informes(calificadas["todas"], tmp_path / "informes", tmp_path / "r.json")
    texto = "\n".join(p.read_text(encoding="utf-8") for p in tmp_path.rglob("*") if p.is_file())
    assert "__PASSWORD = '***'" in texto  # dónde está la del curso, sin decir cuál es
    for password in [*sonda.PASSWORDS, "'admin'", "Secreta-"]:
        assert password not in texto


def test_cada_enlace_apunta_a_la_linea_que_lo_hace_bien():
    for comprobacion in COMPROBACIONES:
        destino = enlace(comprobacion.referencia)
        lineas = (RAIZ / destino.ruta).read_text(encoding="utf-8").splitlines()
        assert destino.texto.strip() in lineas[destino.linea - 1], comprobacion.id


def test_el_informe_de_una_entrega_explica_cada_mal_con_su_enlace(calificadas, tmp_path):
    informes.escribir_informes(calificadas["todas"], tmp_path)
    informe = (tmp_path / "curso.md").read_text(encoding="utf-8")
    corregir = informe.split("## Lo que hay que corregir")[1].split("## Qué se tomó")[0]
    males = [
        id_
        for id_, r in calificadas["por_nombre"]["curso"].comprobaciones.items()
        if r.resultado == MAL
    ]
    enlaces = re.findall(r"\[`[^`]+`, `([^`]+)`\]\(([^)#]+)#L(\d+)\)", corregir)
    assert len(enlaces) == len(males) == corregir.count("**Qué vería quien usa el programa:**")
    for texto, ruta, linea in enlaces:
        destino = (tmp_path / ruta).resolve()
        assert texto in destino.read_text(encoding="utf-8").splitlines()[int(linea) - 1]
    for id_ in males:
        assert f"### `{id_}`" in corregir
    assert "| Conexion | `conexion.py`, clase `Conexion`: obtener_pool → `getPool`" in informe


def test_el_resumen_trae_una_fila_por_entrega_y_las_cuentas(calificadas, tmp_path):
    todas = calificadas["todas"]
    informes.escribir_informes(todas, tmp_path, tmp_path / "json" / "r.json")
    resumen = (tmp_path / "resumen.md").read_text(encoding="utf-8")
    for calificacion in todas:
        assert f"| [{calificacion.entrega}]({calificacion.entrega}.md) |" in resumen
        assert (tmp_path / f"{calificacion.entrega}.md").exists()
    malos = sum(1 for c in todas if c.comprobaciones["pool_entre_hilos"].resultado == MAL)
    buenos = sum(1 for c in todas if c.comprobaciones["pool_entre_hilos"].resultado == BIEN)
    assert re.search(rf"\| `pool_entre_hilos` \| {buenos} \| {malos} \| 1 \|", resumen)
    with open(tmp_path / "resumen.csv", encoding="utf-8") as archivo:
        filas = list(csv.reader(archivo))
    assert filas[0] == ["entrega", *IDS]
    assert {fila[0]: dict(zip(IDS, fila[1:], strict=True)) for fila in filas[1:]} == {
        c.entrega: _veredictos(c) for c in todas
    }
    datos = json.loads((tmp_path / "json" / "r.json").read_text(encoding="utf-8"))
    assert list(datos) == ["entregas"]
    for entrada in datos["entregas"]:
        assert list(entrada) == ["entrega", "mapeo", "comprobaciones"]
        assert list(entrada["comprobaciones"]) == list(IDS)
        for resultado in entrada["comprobaciones"].values():
            assert list(resultado) == ["resultado", "detalle"]
            assert resultado["resultado"] in (BIEN, MAL, NO_APLICA)


def test_un_informe_nunca_pisa_el_resumen():
    assert informes.nombre_de_informe("Resumen") == "Resumen_entrega.md"
    assert informes.nombre_de_informe("ana") == "ana.md"


# --- una entrega que se cuelga, muere o escribe sin fin --------------------------------


def test_lo_que_se_cuelga_o_muere_se_corta_y_las_demas_siguen(
    servidor_de_pruebas, tmp_path, monkeypatch
):
    monkeypatch.setattr(calificador, "LIMITE_POR_COMPROBACION", 2.0)
    monkeypatch.setattr(calificador, "MARGEN", 1.0)
    monkeypatch.setattr(calificador, "ARRANQUE", 3.0)
    monkeypatch.setattr(calificador, "LIMITE_DEL_MENU", 2.0)
    entrega = armar_entrega(tmp_path, CON_LIMITES_CORTOS)
    [calificacion] = calificar([entrega], servidor_de_pruebas)
    assert _veredictos(calificacion) == ESPERADOS[CON_LIMITES_CORTOS]
    detalles = {id_: r.detalle for id_, r in calificacion.comprobaciones.items()}
    assert detalles["crud_seleccionar"] == "no terminó en 2 s (se cuelga)"  # su alarma
    assert "escribió más de 16 MB" in detalles["crud_insertar"]
    assert "con el código 3" in detalles["crud_actualizar"]
    assert "más de 3 s sin avanzar" in detalles["crud_eliminar"]  # se traga la alarma
    assert "usuario_dao.py llama a os._exit() en la línea" in detalles["sin_sys_exit"]
    assert detalles["cierra_conexiones"] == "el programa terminó por la señal SIGTERM"
    # Lee con sys.stdin.readline(), no con input(): no se sabe en qué entrada se quedó.
    assert detalles["menu_entrada_invalida"] == (
        "sin llegar a pedir nada con input(), el programa siguió en marcha más de 2 s y se detuvo"
    )
    assert "sigue en marcha más de 2 s" in calificacion.mapeo["al_importar"]["esperar_servidor.py"]
    assert calificacion.segundos < 60
    assert restos(servidor_de_pruebas) == set()


def test_sin_tiempo_para_la_entrega_sus_comprobaciones_no_aplican(
    servidor_de_pruebas, tmp_path, monkeypatch
):
    monkeypatch.setattr(calificador, "LIMITE_DE_LA_ENTREGA", 0.0)
    [calificacion] = calificar([armar_entrega(tmp_path, "correcta")], servidor_de_pruebas)
    for id_ in [*calificador.EN_LA_SONDA, "menu_entrada_invalida"]:
        assert calificacion.comprobaciones[id_].resultado == NO_APLICA
        assert "no hubo tiempo" in calificacion.comprobaciones[id_].detalle
    assert calificacion.comprobaciones["sql_con_parametros"].resultado == BIEN


def test_si_la_sonda_no_arranca_se_dice_por_que(servidor_de_pruebas, tmp_path, monkeypatch):
    monkeypatch.setattr("acceso_datos.calificar.aislamiento.SONDA", tmp_path / "no_existe.py")
    [calificacion] = calificar([armar_entrega(tmp_path, "correcta")], servidor_de_pruebas)
    detalle = calificacion.comprobaciones["crud_insertar"].detalle
    assert detalle.startswith("la sonda no pudo arrancar:") and "no_existe.py" in detalle
    assert calificacion.comprobaciones["menu_entrada_invalida"].resultado == NO_APLICA


# --- lo que no es una entrega -----------------------------------------------------------


def test_una_carpeta_sin_python_no_aplica_en_nada(servidor_de_pruebas, tmp_path):
    (tmp_path / "vacia").mkdir()
    (tmp_path / "vacia" / "LEEME.txt").write_text("entregué tarde", encoding="utf-8")
    [calificacion] = calificar([tmp_path / "vacia"], servidor_de_pruebas)
    assert {r.resultado for r in calificacion.comprobaciones.values()} == {NO_APLICA}
    assert (
        calificacion.comprobaciones["crud_insertar"].detalle
        == "la carpeta no tiene ningún archivo .py"
    )


def test_una_entrega_que_no_existe_se_rechaza_antes_de_empezar(servidor_de_pruebas, tmp_path):
    with pytest.raises(EntregaNoEncontrada, match="no existe o no es una carpeta"):
        calificar([tmp_path / "no_existe"], servidor_de_pruebas)


def test_sin_permiso_para_crear_roles_el_error_lo_explica_sin_la_password(servidor_de_pruebas):
    password = "clave-del-profesor-9"
    with conectar(servidor_de_pruebas, "postgres") as conexion, conexion.cursor() as cursor:
        cursor.execute("DROP ROLE IF EXISTS profesor_sin_permisos")
        cursor.execute(
            sql.SQL("CREATE ROLE profesor_sin_permisos LOGIN PASSWORD {}").format(
                sql.Literal(password)
            )
        )
    try:
        sin_permisos = servidor_de_pruebas.con(usuario="profesor_sin_permisos", password=password)
        with pytest.raises(BaseNoDisponible) as error, base_desechable(sin_permisos):
            pass  # pragma: no cover (no llega a entrar)
        assert "CREATEROLE y CREATEDB" in str(error.value)
        assert password not in str(error.value)
    finally:
        with conectar(servidor_de_pruebas, "postgres") as conexion, conexion.cursor() as cursor:
            cursor.execute("DROP ROLE IF EXISTS profesor_sin_permisos")


def test_el_proceso_de_la_entrega_no_ve_el_entorno_del_profesor(tmp_path, monkeypatch):
    monkeypatch.setenv("DB_PASSWORD", "secreto-del-profesor")
    monkeypatch.setenv("PGPASSWORD", "secreto-del-profesor")
    carpetas = preparar_carpetas(CORRECTA, tmp_path, "entrega")
    orden = [sys.executable, "-c", "import json, os; print(json.dumps(dict(os.environ)))"]
    ejecucion = ejecutar(orden, carpetas, 30, "entorno")
    visto = json.loads(ejecucion.salida)
    assert "secreto-del-profesor" not in ejecucion.salida
    assert not [nombre for nombre in visto if nombre.startswith(("DB_", "PG", "DATABASE"))]
    assert Path(visto["HOME"]) == carpetas.casa and Path(visto["TMPDIR"]) == carpetas.temporal
    assert {n for n in visto if not n.startswith("COVERAGE_")} <= {
        "PATH",
        "HOME",
        "TMPDIR",
        "LANG",
        "LC_ALL",
        "LC_CTYPE",
    }


# --- la orden ---------------------------------------------------------------------------


def test_la_orden_califica_una_clase_y_escribe_sus_informes(servidor_de_pruebas, tmp_path):
    salida = tmp_path / "calificaciones"
    resultado = subprocess.run(
        [sys.executable, "-m", "acceso_datos.calificar", "--clase", str(ENTREGAS),
         "--salida", str(salida), "--json", str(tmp_path / "r.json")],
        cwd=RAIZ, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert resultado.returncode == 0, resultado.stderr
    nombres = sorted(p.name for p in ENTREGAS.iterdir() if p.is_dir())
    progreso = re.findall(r"^\[(\d+)/(\d+)\] (\S+): \d+ bien, \d+ mal, \d+ no aplica \(\d+,\d s\)$",
                          resultado.stdout, re.MULTILINE)  # fmt: skip
    assert sorted(nombre for _, _, nombre in progreso) == nombres
    assert {total for _, total, _ in progreso} == {str(len(nombres))}
    assert "Informes en" in resultado.stdout and "Traceback" not in resultado.stderr
    assert sorted(p.name for p in salida.iterdir()) == sorted(
        [f"{n}.md" for n in nombres] + ["resumen.csv", "resumen.md"]
    )
    datos = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert [e["entrega"] for e in datos["entregas"]] == nombres


@pytest.mark.parametrize(
    ("argumentos", "codigo", "mensaje"),
    [
        ([], 2, "no hay ninguna entrega que calificar"),
        (["--salida"], 2, "--salida necesita un valor"),
        (["--paralelo", "0", "x"], 2, "--paralelo debe ser un entero positivo"),
        (["--ruido", "x"], 2, "opción desconocida: --ruido"),
        (["--clase=/no/existe"], 2, "la carpeta de la clase /no/existe no existe"),
        (["/no/existe"], 1, "La entrega /no/existe no existe o no es una carpeta"),
    ],
)
def test_la_orden_explica_en_espanol_lo_que_no_entiende(argumentos, codigo, mensaje, capsys):
    from acceso_datos.calificar.__main__ import main

    assert main(argumentos) == codigo
    errores = capsys.readouterr().err
    assert mensaje in errores and "Traceback" not in errores


def test_la_orden_muestra_su_ayuda(capsys):
    from acceso_datos.calificar.__main__ import main

    assert main(["--ayuda"]) == 0
    assert capsys.readouterr().out.startswith("Uso: python -m acceso_datos.calificar")


def test_la_orden_usa_el_postgresql_embebido_si_no_hay_otro(
    servidor_de_pruebas, tmp_path, monkeypatch, capsys
):
    from acceso_datos.calificar.__main__ import main

    if not (servidor_de_pruebas.host or "").startswith("/"):
        pytest.skip("la sesión usa un servidor configurado, no el embebido")
    # El directorio del embebido de la sesión: la orden lo encuentra en marcha y no arranca otro.
    with conectar(servidor_de_pruebas, "postgres") as conexion, conexion.cursor() as cursor:
        cursor.execute("SHOW data_directory")
        datos = cursor.fetchone()[0]
    monkeypatch.setenv("DB_HOST", "")
    monkeypatch.setenv("DATABASE_URL", "")
    monkeypatch.setenv("DB_EMBEDDED_DIR", datos)
    assert main([str(ENTREGAS / "usuariodao"), "--salida", str(tmp_path), "--paralelo=1"]) == 0
    salida = capsys.readouterr().out
    assert f"PostgreSQL embebido (datos en {datos})" in salida
    assert "[1/1] usuariodao: 15 bien, 0 mal, 0 no aplica" in salida
    assert restos(servidor_de_pruebas) == set()
