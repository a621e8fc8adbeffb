"""Lo que se ve leyendo el código, sin ejecutarlo: SQL formateado con valores, contraseñas
escritas en el código, llamadas a sys.exit() en la biblioteca y un menú que se ejecuta al
importarse. El código bajo `if __name__ == "__main__":` no cuenta: son las pruebas del
alumno, que no se ejecutan al usar la biblioteca."""

import ast
import copy
import re
from collections.abc import Iterator
from dataclasses import dataclass

from acceso_datos.calificar.piezas import Mapeo, Modulo, normalizar

SQL = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE)\b", re.IGNORECASE)
# «host=... password=admin» (un DSN de libpq) o «postgresql://usuario:admin@servidor»; no
# «password=%s» de un UPDATE.
DSN_CON_PASSWORD = re.compile(
    r"\b(?:host|dbname|user)\s*=.*\bpassword\s*=\s*[^\s%'\"{}]"
    r"|\bpassword\s*=\s*[^\s%'\"{}].*\b(?:host|dbname|user)\s*="
    r"|postgres(?:ql)?://[^:/@\s]+:[^@\s]+@",
    re.IGNORECASE,
)
PALABRAS_DE_PASSWORD = ("password", "contrasena", "passwd", "pwd", "clave")
# Las funciones que reciben la contraseña de la base como argumento con nombre.
QUE_CONECTAN = re.compile(r"connect|pool", re.IGNORECASE)
SALIDAS = {"sys.exit", "exit", "quit", "os._exit"}


@dataclass(frozen=True)
class Hallazgo:
    """Un trozo de código de la entrega: dónde está y cómo empieza."""

    archivo: str
    linea: int
    codigo: str

    def __str__(self) -> str:
        return f"{self.archivo}, línea {self.linea}: {self.codigo}"


def sql_formateado(mapeo: Mapeo) -> list[Hallazgo]:
    """Cada SQL al que se le meten valores formateando el texto (f-string, %, format, +)."""
    hallazgos = []
    for modulo in _legibles(mapeo.modulos):
        constantes = _constantes_sql(modulo)
        for nodo in _nodos(modulo):
            if _formatea_sql(nodo, constantes):
                hallazgos.append(_hallazgo(modulo, nodo))
    return _sin_repetir(hallazgos)


def passwords_escritas(mapeo: Mapeo) -> list[Hallazgo]:
    """Cada contraseña de la base escrita en el código (no en el menú ni en sus pruebas)."""
    hallazgos = []
    for modulo in _legibles(mapeo.modulos_de_biblioteca()):
        for nodo in _nodos(modulo):
            if _es_password_escrita(nodo):
                # La sentencia entera, para que se reconozca; con los textos tapados: el
                # informe dice dónde está la contraseña, nunca cuál es.
                sentencia = _sentencia_de(modulo, getattr(nodo, "lineno", 0))
                hallazgos.append(_hallazgo(modulo, _Tapar().visit(copy.deepcopy(sentencia))))
    return _sin_repetir(hallazgos)


def _sentencia_de(modulo: Modulo, linea: int) -> ast.stmt:
    """La sentencia más interior del módulo que contiene esa línea."""
    contienen = [
        nodo
        for nodo in _nodos(modulo)
        if isinstance(nodo, ast.stmt) and nodo.lineno <= linea <= (nodo.end_lineno or linea)
    ]
    return min(contienen, key=lambda nodo: (nodo.end_lineno or nodo.lineno) - nodo.lineno)


class _Tapar(ast.NodeTransformer):
    """Cambia cada texto literal por '***'."""

    def visit_Constant(self, nodo: ast.Constant) -> ast.AST:
        if isinstance(nodo.value, str):
            return ast.copy_location(ast.Constant("***"), nodo)
        return nodo


def passwords_leidas(mapeo: Mapeo) -> list[str]:
    """Las variables de entorno con la contraseña que lee la entrega (DB_PASSWORD...)."""
    leidas = []
    for modulo in _legibles(mapeo.modulos_de_biblioteca()):
        for nodo in _nodos(modulo):
            nombre = _variable_leida(nodo)
            if nombre and _es_de_password(nombre) and nombre not in leidas:
                leidas.append(nombre)
    return leidas


def salidas_del_programa(mapeo: Mapeo) -> list[Hallazgo]:
    """Cada sys.exit(), exit(), quit() u os._exit() de la biblioteca (no del menú)."""
    hallazgos = []
    for modulo in _legibles(mapeo.modulos_de_biblioteca()):
        for nodo in _nodos(modulo):
            if isinstance(nodo, ast.Call) and ast.unparse(nodo.func) in SALIDAS:
                hallazgos.append(_hallazgo(modulo, nodo))
    return hallazgos


def se_ejecuta_al_importar(modulo: Modulo) -> Hallazgo | None:
    """La primera sentencia de primer nivel que hace algo al importar el módulo (un bucle,
    una llamada), o None si solo define cosas."""
    if modulo.arbol is None:
        return None
    for sentencia in modulo.arbol.body:
        if _es_guarda_main(sentencia) or isinstance(
            sentencia, ast.Import | ast.ImportFrom | ast.FunctionDef | ast.ClassDef
        ):
            continue
        if isinstance(sentencia, ast.Expr) and isinstance(sentencia.value, ast.Constant):
            continue  # el docstring
        if isinstance(sentencia, ast.Assign | ast.AnnAssign) and not any(
            isinstance(n, ast.Call) for n in ast.walk(sentencia)
        ):
            continue  # una constante
        return _hallazgo(modulo, sentencia)
    return None


def _legibles(modulos: list[Modulo]) -> Iterator[Modulo]:
    return (modulo for modulo in modulos if modulo.arbol is not None)


def _nodos(modulo: Modulo) -> Iterator[ast.AST]:
    """Todos los nodos del módulo salvo los que cuelgan de `if __name__ == "__main__":`."""
    assert modulo.arbol is not None
    pendientes: list[ast.AST] = [modulo.arbol]
    while pendientes:
        nodo = pendientes.pop()
        yield nodo
        # Al revés, para que salgan en el orden del código.
        for hijo in reversed(list(ast.iter_child_nodes(nodo))):
            if not _es_guarda_main(hijo):
                pendientes.append(hijo)


def _es_guarda_main(nodo: ast.AST) -> bool:
    return (
        isinstance(nodo, ast.If)
        and "__name__" in ast.unparse(nodo.test)
        and ("__main__" in ast.unparse(nodo.test))
    )


def _hallazgo(modulo: Modulo, nodo: ast.AST) -> Hallazgo:
    """Dónde está el nodo y su primera línea de código."""
    primera = ast.unparse(nodo).splitlines()[0][:90]
    return Hallazgo(modulo.nombre, getattr(nodo, "lineno", 0), primera)


def _sin_repetir(hallazgos: list[Hallazgo]) -> list[Hallazgo]:
    vistos: dict[tuple[str, int], Hallazgo] = {}
    for hallazgo in hallazgos:
        vistos.setdefault((hallazgo.archivo, hallazgo.linea), hallazgo)
    return sorted(vistos.values(), key=lambda h: (h.archivo, h.linea))


# --- SQL ----------------------------------------------------------------------------------


def _constantes_sql(modulo: Modulo) -> set[str]:
    """Los nombres a los que el módulo asigna un texto SQL (como `_INSERTAR`)."""
    nombres: set[str] = set()
    for nodo in _nodos(modulo):
        if isinstance(nodo, ast.Assign) and SQL.match(_texto(nodo.value) or ""):
            nombres.update(_ultimo_nombre(objetivo) for objetivo in nodo.targets)
    return nombres - {""}


def _formatea_sql(nodo: ast.AST, constantes: set[str]) -> bool:
    if isinstance(nodo, ast.JoinedStr):
        fijo = "".join(str(v.value) for v in nodo.values if isinstance(v, ast.Constant))
        valores = [v.value for v in nodo.values if isinstance(v, ast.FormattedValue)]
        return bool(SQL.match(fijo)) and any(_es_valor(v) for v in valores)
    if isinstance(nodo, ast.BinOp) and isinstance(nodo.op, ast.Mod):
        return _es_sql(nodo.left, constantes) and _es_valor(nodo.right)
    if (
        isinstance(nodo, ast.Call)
        and isinstance(nodo.func, ast.Attribute)
        and nodo.func.attr == "format"
        and _es_sql(nodo.func.value, constantes)
    ):
        return any(_es_valor(a) for a in [*nodo.args, *(k.value for k in nodo.keywords)])
    if isinstance(nodo, ast.BinOp) and isinstance(nodo.op, ast.Add):
        partes = _sumandos(nodo)
        return any(_es_sql(p, constantes) for p in partes) and any(_es_valor(p) for p in partes)
    return False


def _sumandos(nodo: ast.AST) -> list[ast.AST]:
    if isinstance(nodo, ast.BinOp) and isinstance(nodo.op, ast.Add):
        return [*_sumandos(nodo.left), *_sumandos(nodo.right)]
    return [nodo]


def _es_sql(nodo: ast.AST, constantes: set[str]) -> bool:
    texto = _texto(nodo)
    if texto is not None:
        return bool(SQL.match(texto))
    return isinstance(nodo, ast.Name | ast.Attribute) and _ultimo_nombre(nodo) in constantes


def _es_valor(nodo: ast.AST) -> bool:
    """True si el nodo trae un dato (una variable, un atributo de un objeto, una llamada);
    una constante en mayúsculas (el nombre de una tabla) o un literal no lo es."""
    if isinstance(nodo, ast.Constant):
        return False
    if isinstance(nodo, ast.Tuple | ast.List):
        return any(_es_valor(elemento) for elemento in nodo.elts)
    if isinstance(nodo, ast.Name | ast.Attribute):
        nombre = _ultimo_nombre(nodo).strip("_")
        return not (nombre.isupper() and any(c.isalpha() for c in nombre))
    return True


def _texto(nodo: ast.AST) -> str | None:
    return nodo.value if isinstance(nodo, ast.Constant) and isinstance(nodo.value, str) else None


def _ultimo_nombre(nodo: ast.AST) -> str:
    if isinstance(nodo, ast.Name):
        return nodo.id
    if isinstance(nodo, ast.Attribute):
        return nodo.attr
    return ""


# --- contraseñas --------------------------------------------------------------------------


def _es_de_password(nombre: str) -> bool:
    normalizado = normalizar(nombre)
    return any(palabra in normalizado for palabra in PALABRAS_DE_PASSWORD) or normalizado in (
        "pass",
        "dbpass",
    )


def _es_password_escrita(nodo: ast.AST) -> bool:
    # _PASSWORD = '...' (en la clase o en el módulo)
    if isinstance(nodo, ast.Assign | ast.AnnAssign) and nodo.value is not None:
        objetivos = nodo.targets if isinstance(nodo, ast.Assign) else [nodo.target]
        if any(_es_de_password(_ultimo_nombre(o)) for o in objetivos):
            return bool(_texto(nodo.value))
    if isinstance(nodo, ast.Call):
        # psycopg2.connect(..., password='...') o SimpleConnectionPool(..., password='...')
        if QUE_CONECTAN.search(ast.unparse(nodo.func)) and any(
            k.arg in ("password", "passwd") and _texto(k.value) for k in nodo.keywords
        ):
            return True
        # os.getenv('DB_PASSWORD', '...'): la contraseña, como valor por defecto
        nombre = _variable_leida(nodo)
        if nombre and _es_de_password(nombre):
            defecto = nodo.args[1] if len(nodo.args) > 1 else None
            defecto = next((k.value for k in nodo.keywords if k.arg == "default"), defecto)
            return defecto is not None and bool(_texto(defecto))
    texto = _texto(nodo)
    return texto is not None and bool(DSN_CON_PASSWORD.search(texto))


def _variable_leida(nodo: ast.AST) -> str | None:
    """El nombre de la variable en os.getenv('X'), os.environ.get('X'), os.environ['X'],
    config('X') (python-decouple) o dotenv_values()['X']."""
    if isinstance(nodo, ast.Call) and nodo.args:
        funcion = ast.unparse(nodo.func)
        if funcion.endswith(("getenv", "environ.get", "config", ".get")):
            return _texto(nodo.args[0])
    if isinstance(nodo, ast.Subscript) and "environ" in ast.unparse(nodo.value):
        return _texto(nodo.slice)
    return None
