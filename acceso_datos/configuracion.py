"""Lee la configuración de la base de datos y de las contraseñas del entorno y de `.env`.

Se lee cuando se crea un pool (y el coste de scrypt, en cada hash), no al importar: un test
puede cambiar el entorno y crear otro pool. Las variables reales del entorno ganan a las
de `.env`. Con réplicas (DB_REPLICAS o DATABASE_URL_REPLICAS), la configuración del
primario lleva dentro la del pool de las lecturas (`replicas`).
"""

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import quote

from dotenv import dotenv_values
from psycopg2.extensions import parse_dsn

from acceso_datos.errores import ConfiguracionError

RAIZ_PROYECTO = Path(__file__).resolve().parent.parent
ARCHIVO_ENV = RAIZ_PROYECTO / ".env"
ESQUEMAS_URL = ("postgresql://", "postgres://")
# Cómo escribir en DATABASE_URL los signos que la partirían (sin repetir nunca la URL).
CODIFICAR_EN_URL = (
    "En la contraseña (y en el usuario o la base), escriba codificados esos signos: @ como "
    "%40, / como %2F y % como %25; por ejemplo, la contraseña p@ss/1 se escribe "
    "postgresql://alumno:p%40ss%2F1@servidor:5432/base."
)
NIVELES_LOG = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
# Tope de las variables en segundos: una semana ya es «sin límite» en la práctica, y un
# número mayor (1e10) no cabría en las esperas del sistema operativo.
MAX_SEGUNDOS = 7 * 24 * 3600
# Los espacios al principio o al final de una contraseña son parte de ella.
SIN_RECORTAR = ("DB_PASSWORD",)
# Límites de scrypt, para la configuración y para un hash leído de la base (seguridad.py):
# N = 2**18 con r = 8 son 256 MiB por hash, el doble que la fila más exigente de OWASP;
# más, y un valor equivocado (o una fila manipulada) agotaría la memoria.
MAX_SCRYPT_N = 2**18
MAX_SCRYPT_R = 8  # r no se configura: es 8 en todas las filas de OWASP
MAX_SCRYPT_P = 16


@dataclass(frozen=True)
class CosteScrypt:
    """Los parámetros de scrypt: N (CPU y memoria, 128·N·r bytes), r (bloque) y p
    (repeticiones). Por defecto, la fila N=2^15, r=8, p=3 de OWASP: 32 MiB por hash."""

    n: int = 2**15
    r: int = 8
    p: int = 3

    @property
    def memoria(self) -> int:
        """Bytes de memoria por hash: 128·N·r."""
        return 128 * self.n * self.r

    @property
    def trabajo(self) -> int:
        """Lo que cuesta calcularlo, en proporción: N·r·p."""
        return self.n * self.r * self.p

    def admitido(self) -> bool:
        """True si N es potencia de 2 y N, r y p no pasan de los límites de arriba."""
        return (
            2 <= self.n <= MAX_SCRYPT_N
            and self.n & (self.n - 1) == 0
            and 1 <= self.r <= MAX_SCRYPT_R
            and 1 <= self.p <= MAX_SCRYPT_P
        )


@dataclass(frozen=True)
class Configuracion:
    """Todo lo necesario para conectar y dimensionar el pool."""

    # Uno o varios servidores separados por comas, como en libpq, que los prueba en orden.
    host: str | None = None
    # Un puerto para todos los servidores, o una tupla con uno por servidor.
    puerto: int | tuple[int, ...] = 5432
    base: str = "test_db"
    usuario: str = "postgres"
    # repr=False: la contraseña no debe aparecer nunca en un log ni en un error.
    password: str | None = field(default=None, repr=False)
    opciones: Mapping[str, str] = field(default_factory=dict, repr=False)
    embebido: bool = True
    directorio_embebido: Path = RAIZ_PROYECTO / ".pgdata"
    pool_min: int = 1
    pool_max: int = 5
    pool_timeout: float = 30.0
    pool_max_idle: float = 300.0
    pool_leak_warn: float = 60.0
    # SQL que se ejecuta al devolver cada conexión (p. ej. DISCARD ALL); vacío: ninguno.
    pool_reset: str = ""
    connect_timeout: int = 5
    query_timeout: float = 30.0  # segundos máximos de cada espera al servidor
    application_name: str = "acceso_datos"
    log_level: str = "DEBUG"
    log_file: Path = RAIZ_PROYECTO / "acceso_datos.log"
    coste_scrypt: CosteScrypt = CosteScrypt()
    # El pool de las lecturas en réplicas (ver replicas.py); None: todo va al primario.
    replicas: "Configuracion | None" = None
    # Segundos de retraso que se admiten en una réplica (DB_REPLICAS_RETRASO_MAX).
    replicas_retraso_max: float = 5.0

    def parametros_conexion(self) -> dict[str, Any]:
        """Argumentos para `psycopg2.connect`, con timeout y nombre de aplicación."""
        parametros: dict[str, Any] = dict(self.opciones)
        puerto = self.puerto
        parametros.update(
            dbname=self.base,
            user=self.usuario,
            port=",".join(map(str, puerto)) if isinstance(puerto, tuple) else puerto,
            connect_timeout=self.connect_timeout,
            application_name=self.application_name,
        )
        if self.host:
            parametros["host"] = self.host
        if self.password:
            parametros["password"] = self.password
        return parametros

    def servidores(self) -> list[tuple[str, int]]:
        """Cada servidor con su puerto, en el orden en que libpq los prueba."""
        hosts = (self.host or "localhost").split(",")
        puertos = self.puerto if isinstance(self.puerto, tuple) else (self.puerto,) * len(hosts)
        return list(zip(hosts, puertos, strict=True))

    def destino(self) -> str:
        """Dónde conecta, en palabras: servidor y base, nunca la contraseña."""
        if self.embebido:
            return f"PostgreSQL embebido (datos en {self.directorio_embebido}), base '{self.base}'"
        return (
            f"PostgreSQL en {self.nombres_de_servidores()}, "
            f"base '{self.tapar_password(self.base)}', "
            f"usuario '{self.tapar_password(self.usuario)}'"
        )

    def tapar_password(self, texto: str) -> str:
        """`texto`, algo que no escribe el programa (un nombre de la configuración, lo que
        dice libpq), con la contraseña cambiada por ***: solo donde aparece entera, tal
        cual o codificada como en una URL, nunca dentro de otra palabra."""
        # Los mensajes se escriben sin la contraseña; esto es la última defensa para lo que
        # viene de fuera. Si la contraseña es igual que el usuario, la base o un servidor
        # (usuario y contraseña «postgres», como en el curso), ese texto es público: taparlo
        # no escondería nada y diría a quien lo lea que son iguales.
        nombres = {self.usuario, self.base, *(self.host or "").split(",")}
        if not self.password or self.password in nombres:
            return texto
        formas = {self.password, quote(self.password, safe=""), quote(self.password)}
        for forma in sorted(formas, key=len, reverse=True):
            texto = re.sub(_entera(forma), "***", texto)
        return texto

    def nombres_de_servidores(self) -> str:
        """Cada servidor, separado por comas: «servidor:puerto», o «el socket de la carpeta
        ...» para un socket Unix (como el del PostgreSQL embebido)."""
        return ", ".join(
            nombre_de_servidor(self.tapar_password(host), puerto)
            for host, puerto in self.servidores()
        )

    def con(self, **cambios: Any) -> "Configuracion":
        """Una copia con algunos campos cambiados."""
        return replace(self, **cambios)


def leer_configuracion(
    entorno: Mapping[str, str] | None = None, archivo_env: str | Path | None = None
) -> Configuracion:
    """La configuración en vigor; sin `entorno`, `.env` (o `archivo_env`) más el entorno real."""
    valores = _valores(entorno, archivo_env)
    conexion = _leer_destino(valores)
    pool_min = _entero(valores, "DB_POOL_MIN", 1, minimo=0)
    pool_max = _entero(valores, "DB_POOL_MAX", 5, minimo=1)
    if pool_min > pool_max:
        raise ConfiguracionError(
            f"DB_POOL_MIN ({pool_min}) no puede ser mayor que DB_POOL_MAX ({pool_max})."
        )
    nivel = valores.get("LOG_LEVEL", "DEBUG").upper()
    if nivel not in NIVELES_LOG:
        raise ConfiguracionError(
            f"LOG_LEVEL='{nivel}' no es un nivel válido: use uno de {', '.join(NIVELES_LOG)}."
        )
    primario = Configuracion(
        **conexion,
        directorio_embebido=_ruta(valores, "DB_EMBEDDED_DIR", RAIZ_PROYECTO / ".pgdata"),
        pool_min=pool_min,
        pool_max=pool_max,
        pool_timeout=_segundos(valores, "DB_POOL_TIMEOUT", 30.0),
        pool_max_idle=_segundos(valores, "DB_POOL_MAX_IDLE", 300.0),
        pool_leak_warn=_segundos(valores, "DB_POOL_LEAK_WARN", 60.0),
        pool_reset=valores.get("DB_POOL_RESET", ""),
        connect_timeout=_entero(valores, "DB_CONNECT_TIMEOUT", 5, minimo=1, maximo=MAX_SEGUNDOS),
        query_timeout=_segundos(valores, "DB_QUERY_TIMEOUT", 30.0, cero=False),
        application_name=valores.get("DB_APPLICATION_NAME", "acceso_datos"),
        log_level=nivel,
        log_file=_ruta(valores, "LOG_FILE", RAIZ_PROYECTO / "acceso_datos.log"),
        coste_scrypt=_coste_scrypt(valores),
    )
    return _con_replicas(valores, primario)


def leer_coste_scrypt(
    entorno: Mapping[str, str] | None = None, archivo_env: str | Path | None = None
) -> CosteScrypt:
    """El coste de los hashes nuevos: PASSWORD_SCRYPT_N y PASSWORD_SCRYPT_P, del entorno o
    de `.env` como las demás variables. seguridad.py lo lee en cada hash."""
    return _coste_scrypt(_valores(entorno, archivo_env))


def _valores(entorno: Mapping[str, str] | None, archivo_env: str | Path | None) -> dict[str, str]:
    if entorno is None:
        entorno = {**_valores_env(Path(archivo_env or ARCHIVO_ENV)), **os.environ}
    return {
        clave: valor if clave in SIN_RECORTAR else valor.strip()
        for clave, valor in entorno.items()
        if valor
    }


def _coste_scrypt(valores: Mapping[str, str]) -> CosteScrypt:
    defecto = CosteScrypt()
    n = _entero(valores, "PASSWORD_SCRYPT_N", defecto.n, minimo=2, maximo=MAX_SCRYPT_N)
    if n & (n - 1):
        raise ConfiguracionError(
            f"PASSWORD_SCRYPT_N={n} no vale: debe ser una potencia de 2 entre 2 y "
            f"{MAX_SCRYPT_N} (por ejemplo, {defecto.n})."
        )
    p = _entero(valores, "PASSWORD_SCRYPT_P", defecto.p, minimo=1, maximo=MAX_SCRYPT_P)
    return CosteScrypt(n=n, p=p)


def _valores_env(archivo: Path) -> dict[str, str]:
    if not archivo.is_file():
        return {}
    return {k: v for k, v in dotenv_values(archivo).items() if v is not None}


def _leer_destino(valores: Mapping[str, str]) -> dict[str, Any]:
    """Servidor, base y usuario: DATABASE_URL gana; sin DB_HOST se usa el embebido."""
    base = valores.get("DB_NAME", "test_db")
    usuario = valores.get("DB_USER", "postgres")
    if "DATABASE_URL" in valores:
        destino = _leer_url(valores["DATABASE_URL"], base, usuario, "DATABASE_URL")
    elif "DB_HOST" in valores:
        destino = _leer_db_host(valores, base, usuario)
    else:
        return {"embebido": True, "base": base, "usuario": usuario}
    if "," in (destino["host"] or ""):
        # La aplicación escribe: entre varios servidores, libpq debe elegir el primario y
        # saltarse los standby (de solo lectura), salvo que la URL pida otra cosa.
        destino["opciones"].setdefault("target_session_attrs", "read-write")
    return destino


def _leer_db_host(valores: Mapping[str, str], base: str, usuario: str) -> dict[str, Any]:
    hosts = _lista(valores["DB_HOST"], "DB_HOST", "10.0.0.1,10.0.0.2")
    puertos = [
        _entero({"DB_PORT": puerto}, "DB_PORT", 5432, minimo=1, maximo=65535)
        for puerto in _lista(valores.get("DB_PORT", "5432"), "DB_PORT", "5432,5433")
    ]
    return {
        "embebido": False,
        "host": ",".join(hosts),
        "puerto": _por_servidor(puertos, len(hosts), "DB_PORT"),
        "base": base,
        "usuario": usuario,
        "password": valores.get("DB_PASSWORD"),
        "opciones": {},
    }


def _entera(palabra: str) -> str:
    """Patrón de `palabra` entera: sin una letra, cifra, _ o % pegada a un extremo que
    también lo sea (así «test» no se encuentra en «test_db»)."""
    pegada = r"[\w%]"
    antes = f"(?<!{pegada})" if re.match(pegada, palabra[0]) else ""
    despues = f"(?!{pegada})" if re.match(pegada, palabra[-1]) else ""
    return antes + re.escape(palabra) + despues


def nombre_de_servidor(host: str, puerto: int) -> str:
    """«servidor:puerto», o «el socket de la carpeta ...» si `host` es una carpeta (un
    socket Unix: entonces el puerto solo da nombre al archivo del socket)."""
    if host.startswith("/"):
        return f"el socket de la carpeta {host}"
    return f"{host}:{puerto}"


def _leer_url(url: str, base: str, usuario: str, nombre: str) -> dict[str, Any]:
    """La URL de la variable `nombre` (DATABASE_URL o DATABASE_URL_REPLICAS), en partes."""
    # El mensaje de error nunca repite la URL: puede llevar la contraseña.
    if not url.startswith(ESQUEMAS_URL):
        esquema = url.split("://", 1)[0] if "://" in url else ""
        # Lo que precede a :// solo se muestra si tiene forma de esquema (podría ser la contraseña).
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*", esquema):
            esquema = "(ninguno)"
        raise ConfiguracionError(
            f"{nombre} tiene un esquema desconocido '{esquema}': "
            "debe empezar por postgresql:// o postgres://."
        )
    _rechazar_si_es_ambigua(url, nombre)
    try:
        # libpq entiende también la forma de varios servidores (h1:5432,h2:5433) y los
        # parámetros (?target_session_attrs=..., ?sslmode=...), que se le pasan tal cual.
        partes = parse_dsn(url)
    except Exception:
        raise ConfiguracionError(
            f"{nombre} no se puede interpretar: use la forma "
            f"postgresql://usuario:contraseña@servidor:5432/base. {CODIFICAR_EN_URL}"
        ) from None
    host = partes.pop("host", None)
    cuantos = len(host.split(",")) if host else 1
    return {
        "embebido": False,
        "host": host,
        "puerto": _puertos_de_url(partes.pop("port", "5432"), cuantos, nombre),
        "base": partes.pop("dbname", base),
        "usuario": partes.pop("user", usuario),
        "password": partes.pop("password", None),
        "opciones": partes,
    }


def _con_replicas(valores: Mapping[str, str], primario: Configuracion) -> Configuracion:
    """El primario con la configuración del pool de sus lecturas, si hay réplicas:
    DATABASE_URL_REPLICAS gana a DB_REPLICAS, como DATABASE_URL a DB_HOST."""
    pool_max = _entero(valores, "DB_REPLICAS_POOL_MAX", primario.pool_max, minimo=1)
    retraso_max = _segundos(valores, "DB_REPLICAS_RETRASO_MAX", 5.0)
    if "DATABASE_URL_REPLICAS" in valores:
        nombre = "DATABASE_URL_REPLICAS"
        destino = _leer_url(valores[nombre], primario.base, primario.usuario, nombre)
        # Una réplica física tiene los mismos usuarios y contraseñas que su primario.
        if destino["password"] is None and destino["usuario"] == primario.usuario:
            destino["password"] = primario.password
    elif "DB_REPLICAS" in valores:
        nombre = "DB_REPLICAS"
        destino = _leer_lista_de_replicas(valores[nombre], primario)
    else:
        return primario.con(replicas_retraso_max=retraso_max)
    if primario.embebido:
        raise ConfiguracionError(
            f"{nombre} necesita un primario propio: configure también DB_HOST o DATABASE_URL "
            "(el PostgreSQL embebido no tiene réplicas)."
        )
    opciones = destino["opciones"]
    # Solo standby: un servidor que acepta escrituras no es una réplica (y, si es el
    # primario, ya lo usa el otro pool). Con varias, cada conexión va a una al azar.
    opciones.setdefault("target_session_attrs", "standby")
    if "," in (destino["host"] or ""):
        opciones.setdefault("load_balance_hosts", "random")
    # Mínimo 0: crear el pool no conecta, y una réplica caída al arrancar no impide nada.
    replicas = primario.con(**destino, pool_min=0, pool_max=pool_max)
    return primario.con(replicas=replicas, replicas_retraso_max=retraso_max)


# «servidor», «servidor:puerto», «[IPv6]», «[IPv6]:puerto» o una IPv6 sin corchetes ni puerto.
_SERVIDOR_Y_PUERTO = re.compile(
    r"\[(?P<ipv6>[^\]]+)\](?::(?P<puerto6>\d+))?|(?P<host>[^:\[\]]+)(?::(?P<puerto>\d+))?"
    r"|(?P<solo_ipv6>[0-9A-Fa-f:]*:[0-9A-Fa-f:]*)"
)


def _leer_lista_de_replicas(texto: str, primario: Configuracion) -> dict[str, Any]:
    """Las réplicas de DB_REPLICAS, con la base, el usuario, la contraseña y las opciones
    de libpq (sslmode...) del primario; sin puerto, el del primario."""
    defecto = primario.puerto if isinstance(primario.puerto, int) else 5432
    hosts, puertos = [], []
    for elemento in _lista(texto, "DB_REPLICAS", "10.0.0.3,10.0.0.4:5433"):
        partes = _SERVIDOR_Y_PUERTO.fullmatch(elemento)
        puerto = partes and (partes["puerto"] or partes["puerto6"])
        if not partes or (puerto and not 1 <= int(puerto) <= 65535):
            raise ConfiguracionError(
                f"DB_REPLICAS tiene '{elemento}', que no es un servidor ni servidor:puerto con "
                "un puerto entre 1 y 65535: escriba, por ejemplo, "
                "DB_REPLICAS=10.0.0.3,10.0.0.4:5433 (una IPv6 con puerto, entre corchetes: "
                "[::1]:5433)."
            )
        hosts.append(partes["host"] or partes["ipv6"] or partes["solo_ipv6"])
        puertos.append(int(puerto) if puerto else defecto)
    # Las opciones de elegir servidor son las del primario (read-write); las de las
    # réplicas las pone _con_replicas.
    propias = ("target_session_attrs", "load_balance_hosts")
    return {
        "embebido": False,
        "host": ",".join(hosts),
        "puerto": puertos[0] if len(set(puertos)) == 1 else tuple(puertos),
        "opciones": {k: v for k, v in primario.opciones.items() if k not in propias},
    }


def _rechazar_si_es_ambigua(url: str, nombre: str) -> None:
    """Rechaza la URL con una @ de más, o con una / antes de su @: libpq la partiría ahí."""
    # libpq toma por usuario y contraseña lo que hay hasta la primera @ o /, y el resto por
    # servidor y base: con una @ o una / sin codificar en la contraseña, un trozo de ella
    # sería el servidor o la base, y saldría en los mensajes de error y en pantalla.
    resto = url.split("://", 1)[1]
    arrobas = resto.count("@")
    if arrobas > 1 or (arrobas == 1 and "/" in resto.split("@", 1)[0]):
        raise ConfiguracionError(
            f"{nombre} tiene una @ de más o una / antes de la @ que separa la contraseña "
            "del servidor: libpq tomaría un trozo de la contraseña por el servidor o por la "
            f"base. {CODIFICAR_EN_URL}"
        )


def _lista(texto: str, nombre: str, ejemplo: str) -> list[str]:
    """Los elementos de una lista separada por comas, sin espacios; ninguno vacío."""
    elementos = [elemento.strip() for elemento in texto.split(",")]
    if "" in elementos:
        raise ConfiguracionError(
            f"{nombre}='{texto}' tiene un elemento vacío: separe los valores con una sola "
            f"coma, por ejemplo {nombre}={ejemplo}."
        )
    return elementos


def _puertos_de_url(texto: str, servidores: int, nombre: str) -> int | tuple[int, ...]:
    # El valor no se muestra: en una URL mal escrita, el «puerto» puede ser la contraseña.
    puertos = []
    for elemento in texto.split(","):
        elemento = elemento or "5432"  # como en libpq: un puerto vacío es el de siempre
        if not elemento.isdigit() or not 1 <= int(elemento) <= 65535:
            raise ConfiguracionError(
                f"{nombre} tiene un puerto que no es un número entre 1 y 65535 (¿falta la @ "
                "entre la contraseña y el servidor?)."
            )
        puertos.append(int(elemento))
    return _por_servidor(puertos, servidores, nombre)


def _por_servidor(puertos: list[int], servidores: int, origen: str) -> int | tuple[int, ...]:
    """Un puerto para todos los servidores, o uno por servidor en el mismo orden."""
    if len(puertos) == 1:
        return puertos[0]
    if len(puertos) != servidores:
        raise ConfiguracionError(
            f"{origen} tiene {len(puertos)} puertos para {servidores} servidores: ponga un "
            "solo puerto para todos o uno por servidor, en el mismo orden."
        )
    return tuple(puertos)


def _entero(
    valores: Mapping[str, str], nombre: str, defecto: int, minimo: int, maximo: int | None = None
) -> int:
    texto = valores.get(nombre)
    if texto is None:
        return defecto
    try:
        numero = int(texto)
    except ValueError:
        raise ConfiguracionError(
            f"{nombre}='{texto}' no es un número entero: escriba, por ejemplo, {nombre}={defecto}."
        ) from None
    if numero < minimo or (maximo is not None and numero > maximo):
        rango = f"entre {minimo} y {maximo}" if maximo else f"al menos {minimo}"
        raise ConfiguracionError(f"{nombre}={numero} no vale: debe ser {rango}.")
    return numero


def _segundos(valores: Mapping[str, str], nombre: str, defecto: float, cero: bool = True) -> float:
    texto = valores.get(nombre)
    if texto is None:
        return defecto
    try:
        numero = float(texto)
    except ValueError:
        raise ConfiguracionError(
            f"{nombre}='{texto}' no es un número de segundos: escriba, por ejemplo, "
            f"{nombre}={defecto:g}."
        ) from None
    # `not numero >= 0` también rechaza nan; inf queda fuera por el tope.
    if not numero >= 0 or (numero == 0 and not cero) or numero > MAX_SEGUNDOS:
        minimo = "positivo o cero" if cero else "mayor que cero"
        raise ConfiguracionError(
            f"{nombre}={texto} no vale: debe ser un número de segundos {minimo} y no mayor "
            f"que {MAX_SEGUNDOS} (una semana)."
        )
    return numero


def _ruta(valores: Mapping[str, str], nombre: str, defecto: Path) -> Path:
    texto = valores.get(nombre)
    if not texto:
        return defecto
    try:
        return Path(texto).expanduser().resolve()
    except (ValueError, RuntimeError):
        # Path no admite el carácter nulo (ValueError) ni ~ con un usuario que no existe
        # (RuntimeError): el error sería de Python, en inglés, y no nombraría la variable.
        raise ConfiguracionError(
            f"{nombre} no es una ruta que se pueda usar: no puede llevar el carácter nulo ni "
            f"empezar por ~ y un usuario que no existe. Escriba, por ejemplo, "
            f"{nombre}={defecto.name}."
        ) from None
