"""Excepciones propias de acceso_datos: una jerarquía pequeña con una base común."""


class ErrorAccesoDatos(Exception):
    """Base de todos los errores de la capa de datos."""


class ConfiguracionError(ErrorAccesoDatos):
    """Una variable de configuración falta o tiene un valor que no sirve."""


class ConexionError(ErrorAccesoDatos):
    """El servidor no responde, rechaza el acceso o se perdió la conexión."""


class ServidorNoRespondeError(ConexionError):
    """El servidor no contestó dentro de DB_QUERY_TIMEOUT; se abandonó la conexión."""


class ResultadoDesconocidoError(ConexionError):
    """Se perdió la conexión con el COMMIT en vuelo: no se sabe si se guardó."""


class ReplicaNoDisponibleError(ConexionError):
    """Ninguna réplica puede servir una lectura ahora (caída, atrasada o sin contestar).
    Quien lee en réplicas la repite en el primario: solo llega a quien llama si la réplica
    falla a mitad de un `iterar()`, con filas ya entregadas."""


class PoolAgotadoError(ErrorAccesoDatos):
    """No quedó ninguna conexión libre dentro del tiempo de espera."""


class RegistroDuplicadoError(ErrorAccesoDatos):
    """Ya existe un registro con ese valor único; `campo` y `valor` dicen cuál."""

    def __init__(self, mensaje: str, campo: str | None = None, valor: str | None = None):
        super().__init__(mensaje)
        self.campo = campo
        self.valor = valor


class DatosInvalidosError(ErrorAccesoDatos, ValueError):
    """Un dato no cumple las reglas: las de la validación (antes de tocar la base) o las
    de la propia tabla (CHECK, longitud, rango)."""


class MigracionError(ErrorAccesoDatos):
    """Una migración del esquema no se pudo aplicar; la base queda en la versión anterior.
    Si falló al ejecutarse, `archivo` la nombra y `motivo` dice por qué, en una línea."""

    def __init__(self, mensaje: str, archivo: str | None = None, motivo: str | None = None):
        super().__init__(mensaje)
        self.archivo = archivo
        self.motivo = motivo


def es_conexion_perdida(error: BaseException) -> bool:
    """¿Dice este error del driver que se perdió la conexión (y no que la orden falló)?"""
    # Sin código SQLSTATE (socket cerrado) o clases 08 (conexión) y 57P (servidor parado).
    codigo = getattr(error, "pgcode", None)
    return codigo is None or codigo.startswith(("08", "57P"))
