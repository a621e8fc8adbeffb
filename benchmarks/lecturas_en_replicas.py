"""`make bench`, sección 7: leer solo en el primario, o en el primario y una réplica.

Arranca en esta máquina un primario con su réplica asíncrona (`primario_y_replica`), los
llena de usuarios y pone a trabajar procesos como los de la sección 6 (`varios_procesos`)
en rondas alternadas: unos sin réplicas y otros con DB_REPLICAS. Dos cargas: solo
lecturas (`UsuarioDAO.buscar_por_id`, sola) y una escritura de cada diez operaciones
(`UsuarioDAO.actualizar`), que lleva al primario las lecturas de ese proceso hasta que la
réplica la aplica. Cuenta dónde se sirvió cada lectura.
"""

from collections import Counter
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field

from benchmarks.base_de_medida import preparar_usuarios, url_de
from benchmarks.carga import Celda
from benchmarks.servidores_locales import ESPERA, aplico_todo, esperar_hasta, primario_y_replica
from benchmarks.varios_procesos import Trabajadores, medir_grupos

FORMAS = {
    "primario": "solo el primario",
    "replica": "el primario y su réplica (DB_REPLICAS)",
}
# Cada carga: su nombre y una escritura de cada cuántas operaciones (0: ninguna).
CARGAS = {"lecturas": ("solo lecturas", 0), "mezcla": ("una escritura de cada diez", 10)}


@dataclass
class Lecturas:
    """Por carga: las rondas de cada forma y, con la réplica, dónde se sirvieron."""

    celdas: dict[str, dict[str, Celda]] = field(default_factory=dict)
    servidas: dict[str, Counter[str]] = field(default_factory=dict)

    def en_replica(self, carga: str) -> float:
        """La parte de las lecturas (de 0 a 1) que sirvió la réplica."""
        servidas = self.servidas[carga]
        total = servidas["en_replica"] + servidas["en_primario"]
        return servidas["en_replica"] / total if total else 0.0


def medir_lecturas_en_replicas(
    entorno: Mapping[str, str],
    procesos: int,
    hilos: int,
    usuarios: int,
    rondas: int,
    duracion: float,
    avisar: Callable[[int, str], None],
) -> Lecturas:
    """Cada carga, en rondas alternadas sin réplicas y con ellas; `entorno` es el de los
    trabajadores (el tamaño del pool), sin el servidor, que pone esta medida."""
    resultado = Lecturas()
    with primario_y_replica() as (primario, replica):
        configuracion = primario.configuracion()
        preparar_usuarios(configuracion, usuarios)
        esperar_hasta(lambda: aplico_todo(primario, replica), ESPERA, "que la réplica se llene")
        sin_replicas = {**entorno, "DATABASE_URL": url_de(configuracion), "DB_REPLICAS": ""}
        formas = {
            "primario": sin_replicas,
            "replica": {**sin_replicas, "DB_REPLICAS": f"127.0.0.1:{replica.puerto}"},
        }
        # Los mismos trabajadores para las dos cargas: arrancarlos es lo que más tarda.
        with ExitStack() as pila:
            grupos = {
                clave: pila.enter_context(Trabajadores(procesos, hilos, entorno, usuarios))
                for clave, entorno in formas.items()
            }
            for carga, (_, escribir_cada) in CARGAS.items():

                def avisar_de(ronda: int, clave: str, carga: str = carga) -> None:
                    avisar(ronda, f"{carga}, {clave}")

                celdas, _, sumas = medir_grupos(
                    grupos,
                    rondas,
                    duracion,
                    avisar_de,
                    lambda clave: 0,  # las conexiones no se cuentan aquí
                    {"sola": True, "escribir_cada": escribir_cada},
                )
                resultado.celdas[carga] = celdas
                resultado.servidas[carga] = sumas["replica"]
    return resultado
