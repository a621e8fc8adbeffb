"""Lo que tardan un alta y un inicio de sesión con el coste de scrypt en vigor.

scrypt es lento a propósito; esta medida dice cuánto nota el usuario: cada operación del
DAO contra la base de medida, junto al hash solo (sin base) para ver qué parte es scrypt.
Las operaciones se alternan en cada ronda, así que una racha de ruido las afecta a todas.
"""

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

from acceso_datos.configuracion import CosteScrypt
from acceso_datos.cursor_del_pool import CursorDelPool
from acceso_datos.seguridad import coste_actual, generar_hash, necesita_rehash
from acceso_datos.usuario import Usuario
from acceso_datos.usuario_dao import UsuarioDAO

PASSWORD = "contraseña-de-medida"
# El coste por defecto de antes (OWASP pide más): el primer inicio de sesión lo mejora.
COSTE_ANTERIOR = CosteScrypt(n=2**15, r=8, p=1)


@dataclass
class CostePassword:
    coste: CosteScrypt  # el de los hashes nuevos durante la medida
    rondas: int
    segundos: dict[str, list[float]] = field(default_factory=dict)  # por operación

    def minimo(self, operacion: str) -> float:
        return min(self.segundos[operacion])

    def mediana(self, operacion: str) -> float:
        return statistics.median(self.segundos[operacion])


def medir_coste_password(rondas: int) -> CostePassword:
    """Cada operación `rondas` veces, alternadas; la tabla `usuario` ya debe existir."""
    resultado = CostePassword(coste_actual(), rondas)
    hash_anterior = generar_hash(PASSWORD, COSTE_ANTERIOR)
    mejora = f"inicio que mejora un hash N={COSTE_ANTERIOR.n}, p={COSTE_ANTERIOR.p}"
    for ronda in range(rondas):
        username = f"medida_password_{ronda}"
        pasos: list[tuple[str, Callable[[], object]]] = [
            ("generar_hash(), sin base", partial(generar_hash, PASSWORD)),
            (
                "alta: insertar()",
                partial(UsuarioDAO.insertar, Usuario(username=username, password=PASSWORD)),
            ),
            ("inicio de sesión: autenticar()", partial(UsuarioDAO.autenticar, username, PASSWORD)),
            ("contraseña errónea", partial(UsuarioDAO.autenticar, username, "otra-clave")),
            ("usuario que no existe", partial(UsuarioDAO.autenticar, "nadie", PASSWORD)),
        ]
        for operacion, funcion in pasos:
            resultado.segundos.setdefault(operacion, []).append(_segundos(funcion))
        if not necesita_rehash(hash_anterior):
            continue  # con un coste actual que no supera al de antes no hay nada que mejorar
        with CursorDelPool() as cursor:  # sin medir: el hash que tendría de antes
            cursor.execute(
                "UPDATE usuario SET password = %s WHERE username = %s", (hash_anterior, username)
            )
        segundos = _segundos(partial(UsuarioDAO.autenticar, username, PASSWORD))
        resultado.segundos.setdefault(mejora, []).append(segundos)
    return resultado


def _segundos(funcion: Callable[[], object]) -> float:
    inicio = time.perf_counter()
    funcion()
    return time.perf_counter() - inicio
