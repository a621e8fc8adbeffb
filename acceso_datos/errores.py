"""Excepciones propias de acceso_datos: una jerarquía pequeña con una base común."""


class ErrorAccesoDatos(Exception):
    """Base de todos los errores de la capa de datos."""


class ConfiguracionError(ErrorAccesoDatos):
    """Una variable de configuración falta o tiene un valor que no sirve."""


class ConexionError(ErrorAccesoDatos):
    """El servidor no responde, rechaza el acceso o se perdió la conexión."""


class PoolAgotadoError(ErrorAccesoDatos):
    """No quedó ninguna conexión libre dentro del tiempo de espera."""


class RegistroDuplicadoError(ErrorAccesoDatos):
    """Ya existe un registro con ese valor único."""


class DatosInvalidosError(ErrorAccesoDatos, ValueError):
    """Un dato de entrada no cumple las reglas; se detecta antes de tocar la base."""
