"""Encuentra las piezas de una entrega por lo que hacen, leyendo su código (sin ejecutarlo).

Los alumnos nombran igual las cosas solo a veces: `conexion.py` o `Conexion.py`,
`obtenerConexion` u `obtener_conexion`, `UsuarioDAO.insertar` o `UsuarioDao.insert`, y
erratas como `librearConexion`. Aquí los módulos se buscan sin distinguir mayúsculas, las
clases por los métodos que tienen y los métodos por su nombre normalizado; el mapeo
resultante se enseña en el informe para que el profesor vea qué se tomó por qué.
"""

import ast
import difflib
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Carpetas que no son de la entrega: entornos virtuales, cachés, control de versiones.
CARPETAS_AJENAS = frozenset(
    {".git", ".hg", ".svn", ".venv", "venv", "env", ".env", "__pycache__", "node_modules",
     ".idea", ".vscode", ".mypy_cache", ".pytest_cache", "site-packages", ".tox"}
)  # fmt: skip
TAMANO_MAXIMO = 1_000_000  # bytes: un .py mayor no es código de un alumno

# Cada método del curso y los nombres con que aparece (normalizados: minúsculas, sin _).
METODOS_CONEXION: dict[str, tuple[str, ...]] = {
    "obtener_pool": ("obtenerpool", "getpool", "pool", "crearpool", "obtenerelpool"),
    "obtener_conexion": (
        "obtenerconexion", "getconexion", "getconnection", "obtenerconn", "getconn",
        "conexion", "conectar",
    ),
    "liberar_conexion": (
        "liberarconexion", "librearconexion", "unlockcnn", "liberarconn", "devolverconexion",
        "releaseconnection", "putconn", "liberar", "soltarconexion",
    ),
    "cerrar_conexiones": (
        "cerrarconexiones", "cerrarconexion", "closeall", "cerrartodas", "cerrarpool",
        "closeallconnections", "cerrartodo", "cerrar",
    ),
}  # fmt: skip
METODOS_DAO: dict[str, tuple[str, ...]] = {
    "seleccionar": ("seleccionar", "select", "listar", "consultar", "seleccionartodos", "findall"),
    "insertar": ("insertar", "insert", "agregar", "crear", "guardar"),
    "actualizar": ("actualizar", "update", "modificar", "editar"),
    "eliminar": ("eliminar", "delete", "borrar", "remove"),
}
ATRIBUTOS_USUARIO: dict[str, tuple[str, ...]] = {
    "id_usuario": ("idusuario", "iduser", "id", "idusuarios", "usuarioid", "userid"),
    "username": ("username", "nombreusuario", "nombredeusuario", "usuario", "user", "login"),
    "password": ("password", "contrasena", "contrasenia", "clave", "passwd", "pass", "pwd"),
}
# Para las erratas: cuánto debe parecerse un nombre a uno conocido (difflib, de 0 a 1).
PARECIDO_MINIMO = 0.85


def normalizar(nombre: str) -> str:
    """Minúsculas, sin tildes, sin guiones bajos ni cifras: `cerrarConexiones` y
    `cerrar_conexiones` quedan igual."""
    sin_tildes = unicodedata.normalize("NFKD", nombre)
    return re.sub(r"[^a-z]", "", "".join(c for c in sin_tildes if c.isascii()).lower())


def rol_de(nombre: str, roles: dict[str, tuple[str, ...]]) -> str | None:
    """El nombre del curso que corresponde a `nombre` (exacto o por errata), o None."""
    normalizado = normalizar(nombre)
    for rol, variantes in roles.items():
        if normalizado in variantes:
            return rol
    todas = {variante: rol for rol, variantes in roles.items() for variante in variantes}
    parecido = difflib.get_close_matches(normalizado, list(todas), n=1, cutoff=PARECIDO_MINIMO)
    return todas[parecido[0]] if parecido else None


@dataclass
class Modulo:
    """Un archivo .py de la entrega: su ruta, su árbol (si se pudo leer) y cómo se importa."""

    ruta: Path  # relativa a la carpeta de la entrega
    arbol: ast.Module | None
    error: str | None = None  # por qué no se pudo leer
    nombre_importacion: str = ""

    @property
    def nombre(self) -> str:
        return self.ruta.as_posix()


@dataclass
class Clase:
    """Una clase encontrada: su módulo, su nombre y sus métodos según el curso."""

    modulo: Modulo
    nombre: str
    metodos: dict[str, str] = field(default_factory=dict)  # del curso -> de la entrega
    # Cómo se llama a cada método: "clase" (classmethod/staticmethod) o "instancia".
    llamada: dict[str, str] = field(default_factory=dict)
    atributos: dict[str, str] = field(default_factory=dict)  # solo Usuario
    parametros: dict[str, str] = field(default_factory=dict)  # solo Usuario: los de __init__
    linea: int = 0

    def describir(self) -> dict[str, Any]:
        datos: dict[str, Any] = {"archivo": self.modulo.nombre, "clase": self.nombre}
        metodos = {rol: suyo for rol, suyo in self.metodos.items() if not rol.startswith("__")}
        if metodos:
            datos["metodos"] = metodos
        if self.atributos:
            datos["atributos"] = dict(self.atributos)
        return datos


@dataclass
class Mapeo:
    """Lo que se encontró en la entrega y, para lo que falta, por qué."""

    modulos: list[Modulo]
    conexion: Clase | None = None
    cursor: Clase | None = None
    usuario: Clase | None = None
    dao: Clase | None = None
    menu: Modulo | None = None
    motivos: dict[str, str] = field(default_factory=dict)  # pieza -> por qué no está
    paquete: str | None = None  # el nombre de paquete con que se importan sus módulos
    avisos: list[str] = field(default_factory=list)

    def describir(self) -> dict[str, Any]:
        """El mapeo para el informe y el JSON: qué se tomó por cada pieza del curso."""
        datos: dict[str, Any] = {}
        piezas: list[tuple[str, Clase | None]] = [
            ("conexion", self.conexion),
            ("cursor_del_pool", self.cursor),
            ("usuario", self.usuario),
            ("usuario_dao", self.dao),
        ]
        for nombre, clase in piezas:
            datos[nombre] = clase.describir() if clase else {"falta": self.motivos[nombre]}
        if self.menu is not None:
            datos["menu"] = {"archivo": self.menu.nombre}
        else:
            datos["menu"] = {"falta": self.motivos["menu"]}
        if self.paquete:
            datos["paquete"] = self.paquete
        if self.avisos:
            datos["avisos"] = list(self.avisos)
        return datos

    def modulos_de_biblioteca(self) -> list[Modulo]:
        """Los módulos que se pueden importar: todos los legibles salvo el del menú."""
        return [m for m in self.modulos if m.arbol is not None and m is not self.menu]


def archivos_python(carpeta: Path) -> list[Path]:
    """Los .py de la entrega (rutas relativas), sin entornos virtuales ni cachés."""
    encontrados = []
    for ruta in sorted(carpeta.rglob("*.py")):
        relativa = ruta.relative_to(carpeta)
        if any(parte in CARPETAS_AJENAS for parte in relativa.parts[:-1]):
            continue
        if ruta.is_file() and not ruta.is_symlink():
            encontrados.append(relativa)
    return encontrados


def leer_modulo(carpeta: Path, relativa: Path) -> Modulo:
    """Lee y analiza un archivo; si no se puede, el módulo lleva el motivo en `error`."""
    ruta = carpeta / relativa
    if ruta.stat().st_size > TAMANO_MAXIMO:
        return Modulo(relativa, None, f"{relativa} ocupa más de 1 MB: no se analiza")
    datos = ruta.read_bytes()
    try:
        texto = datos.decode("utf-8-sig")
    except UnicodeDecodeError:
        texto = datos.decode("latin-1")  # las entregas hechas en Windows
    try:
        return Modulo(relativa, ast.parse(texto, filename=str(relativa)))
    # Un archivo con bytes nulos da SyntaxError sin línea (3.11.4 y siguientes) o ValueError.
    except (SyntaxError, ValueError) as error:
        motivo = (getattr(error, "msg", None) or str(error)).split(" (")[0]
        numero = getattr(error, "lineno", None)
        linea = f" (línea {numero})" if numero else ""
        return Modulo(relativa, None, f"{relativa} no es Python válido: {motivo}{linea}")


def mapear(carpeta: Path) -> Mapeo:
    """Lee la entrega y encuentra sus piezas; lo que falte queda en `motivos`."""
    modulos = [leer_modulo(carpeta, relativa) for relativa in archivos_python(carpeta)]
    mapeo = Mapeo(modulos)
    ilegibles = [m.error for m in modulos if m.error]
    mapeo.avisos.extend(m for m in ilegibles if m)
    _asignar_nombres_de_importacion(carpeta, mapeo)
    clases = [clase for modulo in modulos for clase in _clases(modulo)]
    por_leer = f" (sin contar lo que no se pudo leer: {'; '.join(e for e in ilegibles if e)})"
    nota = por_leer if ilegibles else ""

    mapeo.conexion = _elegir(
        [c for c in clases if {"obtener_conexion", "liberar_conexion"} <= set(c.metodos)]
        or [c for c in clases if len(c.metodos) >= 2 and "obtener_conexion" in c.metodos],
        ("conexion", "pool", "connection"),
    )
    if mapeo.conexion is None:
        mapeo.motivos["conexion"] = (
            "no hay ninguna clase con obtenerConexion y liberarConexion (ni sus variantes)" + nota
        )
    mapeo.cursor = _elegir(
        [c for c in clases if {"__enter__", "__exit__"} <= set(c.metodos)
         and c is not mapeo.conexion],
        ("cursor",),
    )  # fmt: skip
    if mapeo.cursor is None:
        mapeo.motivos["cursor_del_pool"] = (
            "no hay ninguna clase con __enter__ y __exit__ (el CursorDelPool del curso)" + nota
        )
    candidatos_dao = [c for c in clases if sum(1 for r in METODOS_DAO if r in c.metodos) >= 2]
    mapeo.dao = _elegir(
        [c for c in candidatos_dao if "persona" not in normalizar(c.nombre)] or candidatos_dao,
        ("usuario", "user"),
    )
    if mapeo.dao is None:
        mapeo.motivos["usuario_dao"] = (
            "no hay ninguna clase con seleccionar, insertar, actualizar y eliminar (ni sus "
            "variantes en inglés)" + nota
        )
    ocupadas = {id(mapeo.conexion), id(mapeo.cursor), id(mapeo.dao)}
    mapeo.usuario = _elegir(
        [c for c in clases if {"username", "password"} <= set(c.parametros)
         and id(c) not in ocupadas and "persona" not in normalizar(c.nombre)],
        ("usuario", "user"),
    )  # fmt: skip
    if mapeo.usuario is None:
        mapeo.motivos["usuario"] = (
            "no hay ninguna clase cuyo __init__ reciba username y password" + nota
        )
    mapeo.menu = _elegir_menu(mapeo)
    if mapeo.menu is None:
        mapeo.motivos["menu"] = "ningún módulo pide datos con input()" + nota
    return mapeo


def _elegir(candidatas: list[Clase], preferidos: tuple[str, ...]) -> Clase | None:
    """La clase con más métodos del curso; a igualdad, la que se llama como se espera."""
    if not candidatas:
        return None

    def puntos(clase: Clase) -> tuple[int, int]:
        nombre = normalizar(clase.nombre)
        return (len(clase.metodos), sum(1 for p in preferidos if p in nombre))

    return max(candidatas, key=puntos)


def _elegir_menu(mapeo: Mapeo) -> Modulo | None:
    """El módulo con input() que parece el menú: se llama «menu» o usa el DAO."""
    piezas = {id(c.modulo) for c in (mapeo.conexion, mapeo.cursor, mapeo.usuario, mapeo.dao) if c}
    candidatos = []
    for modulo in mapeo.modulos:
        if modulo.arbol is None or not _llama_a(modulo.arbol, "input"):
            continue
        nombre = normalizar(modulo.ruta.stem)
        usa_dao = mapeo.dao is not None and mapeo.dao.nombre in ast.unparse(modulo.arbol)
        candidatos.append(((id(modulo) not in piezas, "menu" in nombre, usa_dao), modulo))
    if not candidatos:
        return None
    return max(candidatos, key=lambda par: par[0])[1]


def _llama_a(arbol: ast.AST, funcion: str) -> bool:
    return any(
        isinstance(nodo, ast.Call) and isinstance(nodo.func, ast.Name) and nodo.func.id == funcion
        for nodo in ast.walk(arbol)
    )


def _clases(modulo: Modulo) -> list[Clase]:
    """Las clases de primer nivel del módulo, con sus métodos reconocidos."""
    if modulo.arbol is None:
        return []
    clases = []
    for nodo in modulo.arbol.body:
        if not isinstance(nodo, ast.ClassDef):
            continue
        clase = Clase(modulo, nodo.name, linea=nodo.lineno)
        funciones = [f for f in nodo.body if isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef)]
        for funcion in funciones:
            if funcion.name in ("__enter__", "__exit__"):
                clase.metodos[funcion.name] = funcion.name
                continue
            if funcion.name == "__init__":
                clase.parametros = _parametros_de_usuario(funcion)
                continue
            for roles in (METODOS_CONEXION, METODOS_DAO):
                rol = rol_de(funcion.name, roles)
                # Si dos métodos caen en el mismo rol, gana el del nombre exacto.
                if rol and (rol not in clase.metodos or normalizar(funcion.name) in roles[rol]):
                    clase.metodos[rol] = funcion.name
                    clase.llamada[rol] = _forma_de_llamada(funcion)
        if clase.parametros:
            clase.atributos = _atributos_de_usuario(funciones, clase.parametros)
        clases.append(clase)
    # Un Usuario no es una Conexion ni un DAO aunque tenga un método «crear» o «conexion».
    for clase in clases:
        if len([r for r in clase.metodos if not r.startswith("__")]) < 2:
            for rol in [r for r in clase.metodos if not r.startswith("__")]:
                clase.metodos.pop(rol)
                clase.llamada.pop(rol, None)
    return clases


def _forma_de_llamada(funcion: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
    nombres = {ast.unparse(decorador) for decorador in funcion.decorator_list}
    return "clase" if nombres & {"classmethod", "staticmethod"} else "instancia"


def _parametros_de_usuario(funcion: ast.FunctionDef | ast.AsyncFunctionDef) -> dict[str, str]:
    argumentos = [a.arg for a in [*funcion.args.args, *funcion.args.kwonlyargs]][1:]
    parametros = {}
    for argumento in argumentos:
        rol = rol_de(argumento, ATRIBUTOS_USUARIO)
        if rol and rol not in parametros:
            parametros[rol] = argumento
    return parametros if {"username", "password"} <= set(parametros) else {}


def _atributos_de_usuario(
    funciones: list[ast.FunctionDef | ast.AsyncFunctionDef], parametros: dict[str, str]
) -> dict[str, str]:
    """El nombre con que se lee cada dato: la property si la hay; si no, el del parámetro."""
    atributos = dict(parametros)
    for funcion in funciones:
        if any(ast.unparse(d) == "property" for d in funcion.decorator_list):
            rol = rol_de(funcion.name, ATRIBUTOS_USUARIO)
            if rol:
                atributos[rol] = funcion.name
    return atributos


def _asignar_nombres_de_importacion(carpeta: Path, mapeo: Mapeo) -> None:
    """Cómo importa la propia entrega cada módulo: `conexion`, o `paquete.conexion` si sus
    imports llevan un nombre de paquete (el de la carpeta en la máquina del alumno)."""
    por_nombre = {normalizar(m.ruta.stem): m for m in mapeo.modulos}
    usos: dict[str, Counter[str]] = {clave: Counter() for clave in por_nombre}
    prefijos: Counter[str] = Counter()
    for modulo in mapeo.modulos:
        if modulo.arbol is None:
            continue
        for nombre in _importados(modulo.arbol, set(por_nombre)):
            partes = nombre.split(".")
            clave = normalizar(partes[-1])
            if clave in usos:
                usos[clave][nombre] += 1
                if len(partes) > 1 and not (carpeta / partes[0]).is_dir():
                    prefijos[".".join(partes[:-1])] += 1
    if prefijos:
        mapeo.paquete = prefijos.most_common(1)[0][0]
        mapeo.avisos.append(
            f"Sus módulos se importan como paquete «{mapeo.paquete}»: se califica desde una "
            "carpeta con ese nombre."
        )
    elif (carpeta / "__init__.py").is_file():
        # Un paquete con imports relativos (`from .conexion import Conexion`): sus módulos
        # solo se pueden importar con el nombre del paquete delante.
        mapeo.paquete = re.sub(r"\W", "_", carpeta.resolve().name)
        mapeo.avisos.append(
            f"La entrega es un paquete (tiene __init__.py): se importa como «{mapeo.paquete}»."
        )
    for clave, modulo in por_nombre.items():
        propio = ".".join(modulo.ruta.with_suffix("").parts)
        if mapeo.paquete:
            propio = f"{mapeo.paquete}.{propio}"
        modulo.nombre_importacion = usos[clave].most_common(1)[0][0] if usos[clave] else propio
        if modulo.nombre_importacion.split(".")[-1] != modulo.ruta.stem:
            mapeo.avisos.append(
                f"Se importa como «{modulo.nombre_importacion}» pero el archivo es "
                f"{modulo.nombre}: se resuelve sin distinguir mayúsculas, como en Windows."
            )


def en_orden_de_importar(mapeo: Mapeo) -> list[Modulo]:
    """Los módulos de la biblioteca, cada uno después de los que importa: así lo que hace
    uno al importarse no se atribuye al que lo importa."""
    modulos = mapeo.modulos_de_biblioteca()
    por_nombre = {normalizar(m.ruta.stem): m for m in modulos}
    dependencias: dict[str, set[str]] = {}
    for modulo in modulos:
        assert modulo.arbol is not None
        usados = {normalizar(n.split(".")[-1]) for n in _importados(modulo.arbol, set())}
        dependencias[modulo.nombre] = {
            por_nombre[u].nombre for u in usados if u in por_nombre and por_nombre[u] is not modulo
        }
    ordenados: list[Modulo] = []
    hechos: set[str] = set()
    while len(ordenados) < len(modulos):
        pendientes = [m for m in modulos if m.nombre not in hechos]
        # Con un ciclo de imports, ninguno está listo: se sigue por el primero.
        listos = [m for m in pendientes if dependencias[m.nombre] <= hechos] or pendientes
        ordenados.append(listos[0])
        hechos.add(listos[0].nombre)
    return ordenados


def _importados(arbol: ast.Module, propios: set[str]) -> list[str]:
    """Los nombres de módulo que importa el árbol (solo los absolutos)."""
    nombres: list[str] = []
    for nodo in ast.walk(arbol):
        if isinstance(nodo, ast.Import):
            nombres.extend(alias.name for alias in nodo.names)
        elif isinstance(nodo, ast.ImportFrom) and nodo.level == 0 and nodo.module:
            nombres.append(nodo.module)
            # `from paquete import conexion`: el módulo es paquete.conexion; pero en
            # `from conexion import Conexion`, Conexion es una clase del módulo conexion.
            if normalizar(nodo.module.split(".")[-1]) not in propios:
                nombres.extend(f"{nodo.module}.{alias.name}" for alias in nodo.names)
    return nombres
