"""Por qué no se pudo conectar a PostgreSQL, en español: dónde, por qué y qué hacer.

libpq explica sus fallos en inglés y solo con texto (sin un código como el SQLSTATE de los
errores de SQL). Aquí se reconocen las causas conocidas por ese texto y se dicen en
español; el texto original no sale en pantalla: queda en el log (ver `conectar.py`).
"""

import re

from acceso_datos.configuracion import Configuracion

_REVISAR_SERVIDOR = (
    "Compruebe que el servidor está en marcha y que DB_HOST y DB_PORT son correctos, o "
    "quite DB_HOST y DATABASE_URL para usar el PostgreSQL embebido."
)
# Las causas conocidas: (lo que dice libpq, la causa en español, qué hacer). Con varios
# servidores, libpq escribe un fallo por cada uno: manda la primera causa de la lista que
# aparezca. En el consejo, {base} es la base configurada.
_CAUSAS = (
    (
        r"too many clients|too many connections|connection slots are reserved",
        "el servidor no admite más conexiones (SQLSTATE 53300)",
        "Cada proceso abre hasta DB_POOL_MAX conexiones. Baje DB_POOL_MAX o ponga PgBouncer "
        "delante (vea «Más allá de una máquina» en la documentación).",
    ),
    (
        r"session is read-only|hot standby",
        "los servidores que responden son standby de solo lectura",
        "Si el primario cayó, promueva un standby (pg_ctl promote o su herramienta de alta "
        "disponibilidad) y la aplicación lo encontrará sola.",
    ),
    (
        r"password authentication failed|no password supplied|authentication failed",
        "el servidor rechazó el usuario o la contraseña",
        "Revise DB_USER y DB_PASSWORD (o DATABASE_URL) en su archivo .env.",
    ),
    (
        r"no pg_hba\.conf entry",
        "el servidor no admite conexiones de este usuario o de este equipo",
        "Quien administra el servidor debe permitirlo en su pg_hba.conf.",
    ),
    (r'role "[^"]*" does not exist', "ese usuario no existe en el servidor", "Revise DB_USER."),
    (
        r'database "[^"]*" does not exist',
        "esa base de datos no existe en el servidor",
        "Créela (CREATE DATABASE {base}) o cambie DB_NAME.",
    ),
    (r"timeout expired", "no contestó en DB_CONNECT_TIMEOUT", _REVISAR_SERVIDOR),
    (
        r"could not translate host name|name or service not known",
        "no hay ningún servidor con ese nombre",
        "Revise DB_HOST.",
    ),
    (r"connection refused", "no hay ningún servidor escuchando allí", _REVISAR_SERVIDOR),
    (
        r"no such file or directory",
        "no hay ningún servidor con su socket en esa carpeta",
        _REVISAR_SERVIDOR,
    ),
)
_DESCONOCIDA = "el servidor no aceptó la conexión (el detalle está en el log)"
# Con el embebido, el consejo es otro: sus DB_* no los escribió nadie. Salvo si no caben más
# conexiones, que depende de DB_POOL_MAX también ahí.
_EMBEBIDO = (
    "El PostgreSQL embebido no responde: salga y vuelva a ejecutar el programa; si sigue "
    "fallando, el motivo está en {log}."
)


def describir_fallo_de_conexion(configuracion: Configuracion, error: Exception) -> str:
    """Mensaje en español para un fallo al conectar: dónde, por qué y qué hacer."""
    texto = str(error).lower()
    causa, consejo = next(
        ((causa, consejo) for patron, causa, consejo in _CAUSAS if re.search(patron, texto)),
        (_DESCONOCIDA, _REVISAR_SERVIDOR),
    )
    if configuracion.embebido and causa != _CAUSAS[0][1]:
        consejo = _EMBEBIDO.format(log=configuracion.directorio_embebido / "log")
    return (
        f"No se pudo conectar a PostgreSQL en {configuracion.nombres_de_servidores()} (base "
        f"'{configuracion.tapar_password(configuracion.base)}', usuario "
        f"'{configuracion.tapar_password(configuracion.usuario)}'): {causa}. "
        + consejo.format(base=configuracion.base)
    )
