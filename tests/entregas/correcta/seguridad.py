import base64
import hashlib
import os

ITERACIONES = 50_000


def hash_password(password):
    """Sal aleatoria y PBKDF2: cabe en el VARCHAR(50) de la tabla del curso."""
    sal = os.urandom(12)
    derivada = hashlib.pbkdf2_hmac('sha256', password.encode('utf-8'), sal, ITERACIONES, dklen=24)
    return base64.b64encode(sal).decode() + '$' + base64.b64encode(derivada).decode()


def verificar_password(password, guardado):
    sal_b64, derivada_b64 = guardado.split('$')
    sal = base64.b64decode(sal_b64)
    derivada = hashlib.pbkdf2_hmac('sha256', password.encode('utf-8'), sal, ITERACIONES, dklen=24)
    return base64.b64encode(derivada).decode() == derivada_b64
