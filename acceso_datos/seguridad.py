"""Hash de contraseñas con sal usando scrypt de la biblioteca estándar.

El hash se guarda como `scrypt-nfkc$n$r$p$sal$hash` (sal y hash en base64): los parámetros
de coste viajan con cada hash, así que se pueden subir sin invalidar los ya guardados, y
`necesita_rehash` dice cuándo rehacer uno al iniciar sesión (como `must_update` de Django).

La contraseña se normaliza a NFKC antes del hash (NIST SP 800-63B): «é» escrita como una
letra o como «e» más la tilde combinada es la misma contraseña. Los hashes `scrypt$...`, de
antes de normalizar, se siguen aceptando y `necesita_rehash` pide rehacerlos.
"""

import base64
import functools
import hashlib
import hmac
import os
import unicodedata

from acceso_datos.configuracion import (
    MAX_SCRYPT_N,
    MAX_SCRYPT_P,
    MAX_SCRYPT_R,
    CosteScrypt,
    leer_coste_scrypt,
)
from acceso_datos.errores import DatosInvalidosError
from acceso_datos.logger_base import log

PREFIJO = "scrypt-nfkc"
PREFIJO_SIN_NORMALIZAR = "scrypt"  # hashes de antes de normalizar la contraseña
BYTES_SAL = 16
BYTES_HASH = 32


def coste_actual() -> CosteScrypt:
    """Los parámetros de los hashes nuevos (PASSWORD_SCRYPT_N y PASSWORD_SCRYPT_P)."""
    return leer_coste_scrypt()


def generar_hash(password: str, coste: CosteScrypt | None = None) -> str:
    """Devuelve el hash con sal aleatoria de `password`, listo para guardar; con el coste
    actual salvo que se pida otro."""
    coste = coste or coste_actual()
    if not coste.admitido():
        raise DatosInvalidosError(
            f"El coste {coste} está fuera de los límites: verificar_password lo rechazaría."
        )
    sal = os.urandom(BYTES_SAL)
    derivada = _scrypt(_normalizar(password), sal, coste.n, coste.r, coste.p)
    return _formatear(coste, sal, derivada)


def verificar_password(password: str, hash_guardado: str) -> bool:
    """True si `password` corresponde a `hash_guardado` (comparación en tiempo constante).

    Un hash ilegible o con un coste fuera de los límites no se calcula: se avisa en el log y
    se responde False tras una verificación de relleno, como a una contraseña errónea.
    """
    leido = _leer(hash_guardado)
    if leido is None:
        simular_verificacion(password)
        return False
    prefijo, coste, sal, esperado = leido
    formas = [_normalizar(password)]
    if prefijo == PREFIJO_SIN_NORMALIZAR and password != formas[0]:
        formas.insert(0, password)  # el hash antiguo se hizo con la contraseña tal cual
    try:
        return any(
            hmac.compare_digest(_scrypt(forma, sal, coste.n, coste.r, coste.p), esperado)
            for forma in formas
        )
    except UnicodeEncodeError:  # un sustituto suelto: no es una contraseña que se pueda guardar
        return False


def necesita_rehash(hash_guardado: str) -> bool:
    """True si conviene guardar un hash nuevo tras una verificación correcta: el guardado es
    de antes de normalizar, o pide menos trabajo (N·r·p) o menos memoria (N·r) que el
    coste actual. Bajar el coste no rebaja los hashes que ya son más fuertes."""
    leido = _leer(hash_guardado)
    if leido is None:
        return False  # ilegible o desmedido: no llega a verificarse
    prefijo, guardado, _, _ = leido
    actual = coste_actual()
    return (
        prefijo != PREFIJO or guardado.trabajo < actual.trabajo or guardado.memoria < actual.memoria
    )


def simular_verificacion(password: str) -> None:
    """Gasta el mismo tiempo que una verificación real con el coste actual: así un usuario
    inexistente no se distingue, por lo que tarda la respuesta, de una contraseña incorrecta."""
    verificar_password(password, _hash_de_relleno(coste_actual()))


@functools.lru_cache(maxsize=4)
def _hash_de_relleno(coste: CosteScrypt) -> str:
    sal = b"\0" * BYTES_SAL
    return _formatear(coste, sal, _scrypt("relleno", sal, coste.n, coste.r, coste.p))


def _leer(hash_guardado: str) -> tuple[str, CosteScrypt, bytes, bytes] | None:
    """Prefijo, coste, sal y hash de `hash_guardado`; None, con un aviso, si no sirve."""
    try:
        prefijo, n, r, p, sal_b64, esperado_b64 = hash_guardado.split("$")
        coste = CosteScrypt(int(n), int(r), int(p))
        sal = base64.b64decode(sal_b64, validate=True)
        esperado = base64.b64decode(esperado_b64, validate=True)
    except (ValueError, TypeError):
        prefijo = None
    if prefijo not in (PREFIJO, PREFIJO_SIN_NORMALIZAR):
        # El aviso no repite el valor: si alguien guardó ahí una contraseña en claro, no debe
        # acabar en el log.
        log.warning("Un hash guardado no tiene la forma scrypt-nfkc$N$r$p$sal$hash: se rechaza.")
        return None
    if not coste.admitido():
        # Calcularlo podría agotar la memoria o tardar horas: una fila dañada o manipulada.
        log.warning(
            f"Un hash guardado pide N={coste.n}, r={coste.r}, p={coste.p}, fuera de los límites "
            f"(N potencia de 2 hasta {MAX_SCRYPT_N}, r hasta {MAX_SCRYPT_R}, p hasta "
            f"{MAX_SCRYPT_P}): se rechaza sin calcularlo."
        )
        return None
    return prefijo, coste, sal, esperado


def _normalizar(password: str) -> str:
    return unicodedata.normalize("NFKC", password)


def _formatear(coste: CosteScrypt, sal: bytes, derivada: bytes) -> str:
    partes = (PREFIJO, str(coste.n), str(coste.r), str(coste.p), _b64(sal), _b64(derivada))
    return "$".join(partes)


def _scrypt(password: str, sal: bytes, n: int, r: int, p: int) -> bytes:
    # maxmem holgado: el límite por defecto de OpenSSL (32 MiB) no admite N = 2**15, r = 8.
    return hashlib.scrypt(
        password.encode("utf-8"),
        salt=sal,
        n=n,
        r=r,
        p=p,
        maxmem=256 * n * r + 2**20,
        dklen=BYTES_HASH,
    )


def _b64(datos: bytes) -> str:
    return base64.b64encode(datos).decode("ascii")
