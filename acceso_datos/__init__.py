"""Capa de datos con pool de conexiones sobre PostgreSQL («Capa de Datos - Usuarios»)."""

__version__ = "1.0.0"
