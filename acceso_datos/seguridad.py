"""Hash de contraseñas con sal usando scrypt de la biblioteca estándar.

El hash se guarda como `scrypt$n$r$p$sal$hash` (sal y hash en base64): los parámetros
de coste viajan con cada hash, así que se pueden subir más adelante sin invalidar los
ya guardados.
"""

import base64
import functools
import hashlib
import hmac
import os

PREFIJO = "scrypt"
N_POR_DEFECTO = 2**15  # ~0,1 s por hash en un núcleo actual
R = 8
P = 1
BYTES_SAL = 16
BYTES_HASH = 32


def costo_n() -> int:
    """El parámetro N de scrypt: PASSWORD_SCRYPT_N (potencia de 2) o el de por defecto."""
    texto = os.environ.get("PASSWORD_SCRYPT_N", "")
    if texto.isdigit() and int(texto) >= 2 and int(texto) & (int(texto) - 1) == 0:
        return int(texto)
    return N_POR_DEFECTO


def generar_hash(password: str) -> str:
    """Devuelve el hash con sal aleatoria de `password`, listo para guardar."""
    n = costo_n()
    sal = os.urandom(BYTES_SAL)
    derivada = _scrypt(password, sal, n, R, P)
    return "$".join((PREFIJO, str(n), str(R), str(P), _b64(sal), _b64(derivada)))


def verificar_password(password: str, hash_guardado: str) -> bool:
    """True si `password` corresponde a `hash_guardado` (comparación en tiempo constante)."""
    try:
        prefijo, n, r, p, sal, esperado = hash_guardado.split("$")
        if prefijo != PREFIJO:
            return False
        derivada = _scrypt(password, base64.b64decode(sal), int(n), int(r), int(p))
        return hmac.compare_digest(derivada, base64.b64decode(esperado))
    except (ValueError, TypeError):
        return False


def simular_verificacion(password: str) -> None:
    """Gasta el mismo tiempo que una verificación real: así un usuario inexistente no se
    distingue, por lo que tarda la respuesta, de una contraseña incorrecta."""
    verificar_password(password, _hash_de_relleno(costo_n()))


@functools.lru_cache(maxsize=4)
def _hash_de_relleno(n: int) -> str:
    derivada = _scrypt("relleno", b"\0" * BYTES_SAL, n, R, P)
    return "$".join((PREFIJO, str(n), str(R), str(P), _b64(b"\0" * BYTES_SAL), _b64(derivada)))


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
