"""Capa de datos con pool de conexiones sobre PostgreSQL («Capa de Datos - Usuarios»).

La puerta de entrada: `from acceso_datos import Conexion, CursorDelPool, UsuarioDAO`.
Importar el paquete no conecta ni arranca nada; el pool se crea en el primer uso.
"""

from acceso_datos.conexion import Conexion
from acceso_datos.cursor_del_pool import CursorDelPool
from acceso_datos.persona import Persona
from acceso_datos.persona_dao import PersonaDAO
from acceso_datos.usuario import Usuario
from acceso_datos.usuario_dao import UsuarioDAO

__version__ = "1.0.0"

__all__ = ["Conexion", "CursorDelPool", "Persona", "PersonaDAO", "Usuario", "UsuarioDAO"]
