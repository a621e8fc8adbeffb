"""Califica entregas: lee su código, las ejecuta aisladas y junta un veredicto por
comprobación. Nada de aquí escribe en pantalla: quien llama recibe las calificaciones."""

import re
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from acceso_datos.calificar import revision
from acceso_datos.calificar.aislamiento import (
    ARCHIVO,
    CPU,
    MEMORIA,
    Carpetas,
    Ejecucion,
    ejecutar_sonda,
    preparar_carpetas,
)
from acceso_datos.calificar.base_desechable import base_desechable
from acceso_datos.calificar.comprobaciones import BIEN, IDS, MAL, NO_APLICA, Resultado
from acceso_datos.calificar.piezas import Clase, Mapeo, en_orden_de_importar, mapear
from acceso_datos.configuracion import Configuracion
from acceso_datos.formato import plural, segundos

# Segundos. Cada comprobación tiene su límite dentro de la sonda; el proceso entero, el de
# las que le quedan más el arranque; y la entrega entera, el suyo (la issue pide < 60 s).
LIMITE_POR_COMPROBACION = 15.0
# Lo que se espera a la conexión de más con el pool lleno, o a seis hilos que piden el pool:
# más es colgarse.
ESPERA = 10.0
# Lo que la sonda puede tardar en anotar algo más allá del límite de la comprobación (su
# alarma la corta antes; si no, el calificador mata el proceso).
MARGEN = 3.0
ARRANQUE = 10.0
LIMITE_DEL_MENU = 8.0
LIMITE_DE_LA_ENTREGA = 55.0
# De esos, lo que la sonda deja para el menú (que va después) aunque se le acabe el suyo.
RESERVA_DEL_MENU = 15.0
# El menú recibe, en este orden: letras donde va la opción, una opción que no existe, la
# opción 4 (eliminar en el curso) y letras donde va su id; después, el fin de la entrada.
ENTRADAS_DEL_MENU = (
    ("abc", "con letras («abc») donde va la opción"),
    ("99", "con una opción que no existe (99)"),
    ("4", "con la opción 4 (eliminar)"),
    ("abc", "con letras («abc») donde va el id a eliminar"),
)
AL_ACABAR_LA_ENTRADA = "al acabarse la entrada (Ctrl-D)"
# Las comprobaciones que hace la sonda, en su orden; las demás se hacen leyendo el código.
EN_LA_SONDA = (
    "crud_seleccionar",
    "crud_insertar",
    "crud_actualizar",
    "crud_eliminar",
    "password_en_claro",
    "devuelve_si_falla_commit",
    "devuelve_si_falla_sql",
    "rollback_si_error",
    "pool_entre_hilos",
    "pool_agotado",
    "sin_sys_exit",
    "cierra_conexiones",
)
LEIDO_DE_CADA_ARCHIVO = 16 * 2**20  # bytes: donde se busca la contraseña en cada archivo
LIMITES_DE_LA_SONDA = {"memoria": MEMORIA, "cpu": CPU, "archivo": ARCHIVO}


class EntregaNoEncontrada(Exception):
    """La carpeta de una entrega no existe o no es una carpeta."""


@dataclass
class Calificacion:
    """El resultado de una entrega: el mapeo, un veredicto por comprobación y el tiempo."""

    entrega: str
    mapeo: dict[str, Any]
    comprobaciones: dict[str, Resultado]
    segundos: float

    def cuenta(self, resultado: str) -> int:
        return sum(1 for r in self.comprobaciones.values() if r.resultado == resultado)


def calificar(
    entregas: Sequence[Path],
    administracion: Configuracion,
    paralelo: int = 2,
    al_terminar: Callable[[Calificacion], None] | None = None,
) -> list[Calificacion]:
    """Califica las entregas, `paralelo` a la vez; devuelve sus calificaciones en el mismo
    orden y llama a `al_terminar` con cada una en cuanto está."""
    for entrega in entregas:
        if not Path(entrega).is_dir():
            raise EntregaNoEncontrada(f"La entrega {entrega} no existe o no es una carpeta.")
    nombres = nombres_de_entregas(entregas)
    calificaciones: dict[int, Calificacion] = {}
    ejecutor = ThreadPoolExecutor(max_workers=max(1, paralelo))
    try:
        futuros = {
            ejecutor.submit(calificar_entrega, Path(entrega), administracion, nombre): indice
            for indice, (entrega, nombre) in enumerate(zip(entregas, nombres, strict=True))
        }
        for futuro in as_completed(futuros):
            calificacion = futuro.result()
            calificaciones[futuros[futuro]] = calificacion
            if al_terminar is not None:
                al_terminar(calificacion)
    finally:
        # Ctrl-C o un error: las que no empezaron no empiezan; las que están en marcha
        # terminan (y borran su base) antes de salir.
        ejecutor.shutdown(wait=True, cancel_futures=True)
    return [calificaciones[indice] for indice in sorted(calificaciones)]


def nombres_de_entregas(entregas: Sequence[Path]) -> list[str]:
    """El nombre de cada entrega (el de su carpeta), sin repetir y válido como archivo."""
    nombres: list[str] = []
    for entrega in entregas:
        base = re.sub(r"[^\w.-]", "_", Path(entrega).resolve().name) or "entrega"
        nombre, numero = base, 2
        while nombre.lower() in (n.lower() for n in nombres):
            nombre, numero = f"{base}_{numero}", numero + 1
        nombres.append(nombre)
    return nombres


def calificar_entrega(
    carpeta: Path, administracion: Configuracion, nombre: str | None = None
) -> Calificacion:
    """Califica una entrega en su propia base desechable."""
    inicio = time.monotonic()
    nombre = nombre or nombres_de_entregas([carpeta])[0]
    mapeo = mapear(carpeta)
    descripcion = mapeo.describir()
    if not mapeo.modulos:
        motivo = Resultado(NO_APLICA, "la carpeta no tiene ningún archivo .py")
        return Calificacion(nombre, descripcion, dict.fromkeys(IDS, motivo), 0.0)
    resultados = _leyendo_el_codigo(mapeo)
    with (
        tempfile.TemporaryDirectory(prefix="calificar_", ignore_cleanup_errors=True) as temporal,
        base_desechable(administracion) as base,
    ):
        nombre_copia = (mapeo.paquete or "entrega").replace(".", "/")
        carpetas = preparar_carpetas(carpeta, Path(temporal), nombre_copia)
        encargo = _encargo(mapeo, carpetas, base)
        fin = inicio + LIMITE_DE_LA_ENTREGA
        de_la_sonda, importaciones, secreto, ejecuciones = _en_la_sonda(
            carpetas, encargo, fin - RESERVA_DEL_MENU
        )
        resultados.update(de_la_sonda)
        resultados["menu_entrada_invalida"] = _comprobar_menu(mapeo, carpetas, encargo, fin)
        resultados["password_en_claro"] = _password(
            resultados["password_en_claro"], secreto, carpetas, ejecuciones
        )
    resultados["sin_sys_exit"] = _sin_sys_exit(resultados["sin_sys_exit"], mapeo)
    descripcion["al_importar"] = _al_importar(mapeo, importaciones)
    ordenados = {id_: resultados[id_] for id_ in IDS}
    return Calificacion(nombre, descripcion, ordenados, round(time.monotonic() - inicio, 1))


# --- leyendo el código --------------------------------------------------------------------


def _leyendo_el_codigo(mapeo: Mapeo) -> dict[str, Resultado]:
    """sql_con_parametros y credenciales_en_codigo. Con un archivo que no se pudo leer, el
    veredicto solo puede ser «mal» (si lo hay en otro) o «no aplica»."""
    ilegibles = [m.error for m in mapeo.modulos if m.error]
    sin_leer = f"no se pudo leer todo el código: {ilegibles[0]}" if ilegibles else ""
    resultados = {}
    formateado = revision.sql_formateado(mapeo)
    if formateado:
        resultados["sql_con_parametros"] = Resultado(
            MAL, f"SQL con valores metidos en el texto en {formateado[0]}" + _y_mas(formateado)
        )
    elif sin_leer:
        resultados["sql_con_parametros"] = Resultado(NO_APLICA, sin_leer)
    else:
        resultados["sql_con_parametros"] = Resultado(
            BIEN, "ningún SQL se formatea con valores: todos los valores van como parámetros"
        )
    escritas = revision.passwords_escritas(mapeo)
    if escritas:
        resultados["credenciales_en_codigo"] = Resultado(
            MAL, f"la contraseña de la base está escrita en {escritas[0]}" + _y_mas(escritas)
        )
    elif sin_leer:
        resultados["credenciales_en_codigo"] = Resultado(NO_APLICA, sin_leer)
    else:
        leidas = revision.passwords_leidas(mapeo)
        origen = f" (la lee de {', '.join(leidas)})" if leidas else ""
        resultados["credenciales_en_codigo"] = Resultado(
            BIEN, f"ninguna contraseña de la base escrita en el código{origen}"
        )
    return resultados


def _y_mas(hallazgos: list[revision.Hallazgo]) -> str:
    return (
        f" (y {len(hallazgos) - 1} sitio{'s' if len(hallazgos) > 2 else ''} más)"
        if len(hallazgos) > 1
        else ""
    )


def _sin_sys_exit(dinamico: Resultado, mapeo: Mapeo) -> Resultado:
    """Lo medido con la base caída, más cualquier sys.exit() escrito en la biblioteca."""
    salidas = revision.salidas_del_programa(mapeo)
    if not salidas or dinamico.resultado == MAL:
        return dinamico
    primera = salidas[0]
    llamada = primera.codigo.split("(")[0]
    lugar = f"{primera.archivo} llama a {llamada}() en la línea {primera.linea}"
    if dinamico.resultado == BIEN:
        return Resultado(MAL, f"{dinamico.detalle}, pero {lugar}")
    return Resultado(MAL, lugar)


# --- la sonda -----------------------------------------------------------------------------


def _encargo(mapeo: Mapeo, carpetas: Carpetas, base: dict[str, Any]) -> dict[str, Any]:
    """Lo que la sonda necesita saber: rutas, piezas, módulos y la base de la entrega."""
    directorios = {carpetas.copia}
    for modulo in mapeo.modulos:
        carpeta = carpetas.copia / modulo.ruta.parent
        if not (carpeta / "__init__.py").exists():
            directorios.add(carpeta)
    rutas = [str(carpetas.raiz), *sorted(str(d) for d in directorios)]
    return {
        "rutas": rutas,
        "carpetas": rutas,
        "base": base,
        "limites": {
            **LIMITES_DE_LA_SONDA,
            "por_comprobacion": LIMITE_POR_COMPROBACION,
            "espera": ESPERA,
        },
        "piezas": {
            "conexion": _pieza(mapeo.conexion, mapeo.motivos.get("conexion")),
            "cursor_del_pool": _pieza(mapeo.cursor, mapeo.motivos.get("cursor_del_pool")),
            "usuario": _pieza(mapeo.usuario, mapeo.motivos.get("usuario")),
            "usuario_dao": _pieza(mapeo.dao, mapeo.motivos.get("usuario_dao")),
        },
        "modulos": [[m.nombre_importacion, m.nombre] for m in en_orden_de_importar(mapeo)],
    }


def _pieza(clase: Clase | None, motivo: str | None) -> dict[str, Any]:
    if clase is None:
        return {"falta": motivo or "no se encontró"}
    return {
        "modulo": clase.modulo.nombre_importacion,
        "archivo": clase.modulo.nombre,
        "clase": clase.nombre,
        "metodos": {r: n for r, n in clase.metodos.items() if not r.startswith("__")},
        "llamada": clase.llamada,
        "parametros": clase.parametros,
        "atributos": clase.atributos,
    }


def _en_la_sonda(
    carpetas: Carpetas, encargo: dict[str, Any], fin: float
) -> tuple[dict[str, Resultado], list[dict[str, Any]], str | None, list[Ejecucion]]:
    """Ejecuta las comprobaciones de la sonda; si su proceso muere o se cuelga en una, esa
    queda mal y las que faltan siguen en un proceso nuevo."""
    resultados: dict[str, Resultado] = {}
    importaciones: list[dict[str, Any]] = []
    secreto: str | None = None
    ejecuciones: list[Ejecucion] = []
    pendientes = ["inspeccion", *EN_LA_SONDA]
    while pendientes:
        restante = fin - time.monotonic()
        cuantas = len([p for p in pendientes if p != "inspeccion"])
        limite = min(restante, ARRANQUE + LIMITE_POR_COMPROBACION * max(cuantas, 1))
        if limite < ARRANQUE:
            for id_ in pendientes:
                if id_ != "inspeccion":
                    resultados[id_] = Resultado(
                        NO_APLICA,
                        "no hubo tiempo: la entrega pasó de "
                        f"{segundos(LIMITE_DE_LA_ENTREGA, None)}",
                    )
            break
        ejecucion = ejecutar_sonda(
            carpetas,
            {**encargo, "modo": "biblioteca", "comprobaciones": pendientes},
            limite,
            f"biblioteca{len(ejecuciones) + 1}",
            limite_por_paso=LIMITE_POR_COMPROBACION + MARGEN,
        )
        ejecuciones.append(ejecucion)
        empezada = None
        avanzo = False
        for linea in ejecucion.lineas:
            tipo = linea.get("tipo")
            if tipo in ("importacion", "importando", "inspeccionado"):
                avanzo = True
                if tipo == "importacion":
                    importaciones.append(linea)
                elif tipo == "importando":
                    empezada = linea
                else:
                    empezada = None
                    pendientes = [p for p in pendientes if p != "inspeccion"]
            elif tipo == "empieza":
                empezada = linea
            elif tipo == "resultado":
                avanzo = True
                empezada = None
                resultados[linea["id"]] = Resultado(linea["resultado"], linea["detalle"])
            else:  # "secreto": la contraseña que usó password_en_claro
                secreto = linea["secreto"]
        motivo = ejecucion.motivo_del_final()
        if empezada is not None and empezada.get("tipo") == "importando":
            importaciones.append(
                {"archivo": empezada["archivo"], "error": f"al importarse, {motivo}"}
            )
            pendientes = [p for p in pendientes if p != "inspeccion"]
            avanzo = True
        elif empezada is not None:
            resultados[empezada["id"]] = Resultado(MAL, f"el programa {motivo}")
            avanzo = True
        pendientes = [p for p in pendientes if p not in resultados]
        if pendientes and not avanzo:
            ultima = (ejecucion.errores.strip().splitlines() or [motivo])[-1][:200]
            for id_ in pendientes:
                if id_ != "inspeccion":
                    resultados[id_] = Resultado(NO_APLICA, f"la sonda no pudo arrancar: {ultima}")
            break
    return resultados, importaciones, secreto, ejecuciones


def _password(
    medido: Resultado, secreto: str | None, carpetas: Carpetas, ejecuciones: list[Ejecucion]
) -> Resultado:
    """Completa password_en_claro: la sonda dijo cómo se guardó; aquí se busca la
    contraseña en la salida del programa y en los archivos que escribió (sus logs)."""
    if medido.resultado != "pendiente" or secreto is None:
        return medido
    donde = []
    if any(secreto in e.salida for e in ejecuciones):
        donde.append("la salida del programa")
    if any(secreto in e.errores for e in ejecuciones):
        donde.append("la salida de errores (donde escribe el log)")
    for carpeta in carpetas.de_la_entrega():
        for archivo in sorted(carpeta.rglob("*")):
            if archivo.is_file() and not archivo.is_symlink() and archivo.suffix != ".py":
                with open(archivo, "rb") as abierto:
                    if secreto.encode() in abierto.read(LEIDO_DE_CADA_ARCHIVO):
                        donde.append(f"el archivo {_relativa(archivo, carpetas)}")
    partes = []
    if medido.detalle:
        partes.append(f"la contraseña se guarda en la tabla {medido.detalle}")
    if donde:
        lugares = " y en ".join([", ".join(donde[:-1]), donde[-1]] if len(donde) > 1 else donde)
        partes.append(f"la contraseña sale en texto plano en {lugares}")
    if partes:
        return Resultado(MAL, "; ".join(partes) + " (consejo más allá del curso)")
    return Resultado(
        BIEN, "la contraseña no se guarda tal cual en la tabla ni sale en la salida ni en los logs"
    )


def _relativa(archivo: Path, carpetas: Carpetas) -> str:
    """La ruta que reconoce el profesor: dentro de la entrega, o en su HOME o TMPDIR."""
    prefijos = {carpetas.copia: "", carpetas.casa: "~/", carpetas.temporal: "$TMPDIR/"}
    base = next((c for c in prefijos if c in archivo.parents), carpetas.raiz)
    return prefijos.get(base, "") + archivo.relative_to(base).as_posix()


# --- el menú ------------------------------------------------------------------------------


def _comprobar_menu(
    mapeo: Mapeo, carpetas: Carpetas, encargo: dict[str, Any], fin: float
) -> Resultado:
    """Ejecuta el menú con entradas malas y el fin de la entrada; anota cada tropiezo.

    Cada corrida recibe las entradas que quedan: si el menú se cae con una, la siguiente
    empieza por la de después. Como cada corrida lee al menos una o llega al fin de la
    entrada, hay como mucho una más que entradas."""
    if mapeo.menu is None:
        return Resultado(NO_APLICA, mapeo.motivos["menu"])
    menu = str(carpetas.copia / mapeo.menu.ruta)
    pendientes = list(ENTRADAS_DEL_MENU)
    problemas: list[str] = []
    for corrida in range(1, len(ENTRADAS_DEL_MENU) + 2):  # pragma: no branch (sale antes)
        limite = min(LIMITE_DEL_MENU, fin - time.monotonic())
        sin_tiempo = limite <= 0
        if sin_tiempo:
            break  # se informa de lo visto hasta aquí
        entrada = "".join(f"{texto}\n" for texto, _ in pendientes)
        ejecucion = ejecutar_sonda(
            carpetas, {**encargo, "modo": "menu", "menu": menu}, limite,
            f"menu{corrida}", entrada=entrada,
        )  # fmt: skip
        lecturas = [linea for linea in ejecucion.lineas if linea.get("tipo") == "lectura"]
        leidas = sum(1 for linea in lecturas if not linea["fin"])
        fines = sum(1 for linea in lecturas if linea["fin"])
        final = next((linea for linea in ejecucion.lineas if linea.get("tipo") == "fin"), None)
        cuando = _cuando(pendientes, leidas, fines)
        if not ejecucion.lineas and ejecucion.codigo is not None:
            ultima = (ejecucion.errores.strip().splitlines() or [""])[-1][:200]
            return Resultado(NO_APLICA, f"no se pudo ejecutar el menú: {ultima}")
        if final is None:
            problemas.append(f"{cuando}, el programa {ejecucion.motivo_del_final()}")
            break
        if final["como"] == "bucle":
            problemas.append(f"{cuando}, vuelve a pedir datos sin fin")
            break
        if final["como"] == "excepcion" and leidas + fines == 0:
            return Resultado(NO_APLICA, f"el menú se cae antes de pedir nada: {final['detalle']}")
        if final["como"] == "excepcion":
            problemas.append(f"{cuando}, se cae: {final['detalle']}")
        elif leidas + fines == 0:
            return Resultado(
                NO_APLICA, "el menú termina sin pedir nada (¿falta llamar a su función?)"
            )
        if fines:
            break  # probado hasta el fin de la entrada
        # Se cayó con una entrada o salió antes (una opción de salir): sigue con las demás.
        pendientes = pendientes[leidas:]
    if problemas:
        return Resultado(MAL, "; ".join(problemas))
    if sin_tiempo:
        return Resultado(
            NO_APLICA, f"no hubo tiempo: la entrega pasó de {segundos(LIMITE_DE_LA_ENTREGA, None)}"
        )
    return Resultado(
        BIEN,
        "el menú aguantó letras donde va un número, una opción que no existe y el fin de la "
        "entrada (Ctrl-D)",
    )


def _cuando(pendientes: list[tuple[str, str]], leidas: int, fines: int) -> str:
    """Con qué entrada estaba el menú cuando pasó algo: la última que leyó, o el fin."""
    if fines or leidas >= len(pendientes):
        return AL_ACABAR_LA_ENTRADA
    if leidas:
        return pendientes[leidas - 1][1]
    return "sin llegar a pedir nada con input()"


# --- lo que hace cada módulo al importarse ------------------------------------------------


def _al_importar(mapeo: Mapeo, importaciones: list[dict[str, Any]]) -> dict[str, str]:
    """Lo que hace cada módulo al importarlo (conectar, escribir, imprimir), en palabras."""
    descripcion = {}
    for datos in importaciones:
        partes = []
        if datos.get("error"):
            partes.append(datos["error"])
        if datos.get("escribe"):
            partes.append(f"escribe en la base: {datos['escribe']}")
        elif datos.get("sentencias"):
            partes.append(f"ejecuta {plural(datos['sentencias'], 'sentencia', 'sentencias')} SQL")
        elif datos.get("conecta"):
            partes.append("conecta con la base")
        if datos.get("imprime"):
            partes.append(f"imprime «{datos['imprime']}»")
        if partes:
            descripcion[datos["archivo"]] = "; ".join(partes)
    if mapeo.menu is not None:
        hallazgo = revision.se_ejecuta_al_importar(mapeo.menu)
        if hallazgo is not None:
            descripcion[mapeo.menu.nombre] = (
                f"el menú se ejecuta al importarse (línea {hallazgo.linea}): por eso se ejecuta "
                "como programa y nunca se importa"
            )
    return descripcion
