"""La suite de contrato: lo que todo DAO debe cumplir, probado contra cada uno.

Un DAO nuevo se suma con su ficha en FICHAS: qué atributo es el id, cuál es único, cómo
fabricar una entidad válida, qué valores debe rechazar y dos valores válidos de cada campo.
Sus tests propios (lo que solo él hace, como las contraseñas de UsuarioDAO) van en su
archivo, test_<entidad>_dao.py.

El docstring de cada test dice el contrato en palabras, en una línea: es lo que
`python -m ejercicios.comprobar 4` muestra cuando no se cumple.
"""

from collections.abc import Callable
from dataclasses import dataclass, field, replace

import pytest
from ayudas import en_uso, pid_de, pid_de_la_proxima_conexion

from acceso_datos import CursorDelPool, Persona, PersonaDAO, Usuario, UsuarioDAO
from acceso_datos.errores import ConexionError, DatosInvalidosError, RegistroDuplicadoError
from acceso_datos.validacion import etiqueta


@dataclass(frozen=True)
class FichaDAO:
    """Lo que la suite necesita saber de un DAO para probarlo."""

    dao: type
    id: str  # el atributo de la entidad que guarda su id
    unico: str  # un atributo con restricción UNIQUE en la tabla
    ejemplo: Callable[[int], object]  # una entidad válida, distinta para cada número
    invalidos: dict[str, object]  # atributo -> un valor que la validación debe rechazar
    # Cada campo de la entidad (salvo el id) -> dos valores válidos y distintos: la suite
    # comprueba con ellos que insertar y actualizar guardan cada columna.
    valores: dict[str, tuple[object, object]]
    # Para un campo que no se lee de vuelta tal cual (la contraseña: se guarda su hash),
    # cómo ver en la entidad leída que se guardó ese valor.
    se_guardo: dict[str, Callable[[object, object], bool]] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.dao.__name__


# Una ficha por DAO.
FICHAS = [
    FichaDAO(
        UsuarioDAO,
        "id_usuario",
        "username",
        lambda n: Usuario(None, f"usuario{n}", "clave-de-prueba"),
        {"username": " ", "password": "corta"},
        {"username": ("ana", "bea"), "password": ("clave-de-ana", "otra-clave-de-ana")},
        {"password": lambda leido, clave: UsuarioDAO.autenticar(leido.username, clave) is not None},
    ),
    FichaDAO(
        PersonaDAO,
        "id_persona",
        "email",
        lambda n: Persona(None, f"Nombre{n}", f"Apellido{n}", f"persona{n}@ejemplo.com"),
        {"nombre": " ", "apellido": "", "email": "sin-arroba"},
        {
            "nombre": ("Ana", "Bea"),
            "apellido": ("Pérez", "Ruiz"),
            "email": ("ana@ejemplo.com", "bea@ejemplo.com"),
        },
    ),
]

pytestmark = pytest.mark.usefixtures("base_limpia")


@pytest.fixture(params=FICHAS, ids=str)
def ficha(request) -> FichaDAO:
    return request.param


# --- ayudas ---------------------------------------------------------------------------


def guardar(ficha: FichaDAO, numero: int) -> object:
    entidad = ficha.ejemplo(numero)
    ficha.dao.insertar(entidad)
    return entidad


def con_id(ficha: FichaDAO, entidad: object, id_: object) -> object:
    setattr(entidad, ficha.id, id_)
    return entidad


def cambio_de(ficha: FichaDAO, guardada: object, numero: int) -> object:
    """Otra entidad de ejemplo con el id de `guardada`: lo que se le pasa a actualizar."""
    return con_id(ficha, ficha.ejemplo(numero), getattr(guardada, ficha.id))


def copia_del_unico(ficha: FichaDAO, guardada: object, numero: int) -> object:
    """Una entidad nueva cuyo valor único ya tiene `guardada`."""
    entidad = ficha.ejemplo(numero)
    setattr(entidad, ficha.unico, getattr(guardada, ficha.unico))
    return entidad


def guardar_desordenadas(ficha: FichaDAO) -> list:
    """Cinco entidades; la primera, además, modificada: un UPDATE escribe la fila al final
    de la tabla, así que sin ORDER BY saldría la última."""
    entidades = [guardar(ficha, numero) for numero in (5, 1, 3, 2, 4)]
    entidades[0] = cambio_de(ficha, entidades[0], 9)
    ficha.dao.actualizar(entidades[0])
    return entidades


def campos(ficha: FichaDAO) -> list[str]:
    """Los campos de la entidad, salvo el id: los que el DAO debe guardar."""
    return [campo for campo in vars(ficha.ejemplo(1)) if campo != ficha.id]


def no_guardados(ficha: FichaDAO, id_: int, esperados: dict[str, object]) -> list[str]:
    """Los campos cuyo valor en la base no es el esperado."""
    leida = ficha.dao.buscar_por_id(id_)
    assert leida is not None, f"no se encuentra la entidad {id_} que se acaba de guardar"
    distintos = []
    for campo, valor in esperados.items():
        if campo in ficha.se_guardo:
            guardado = ficha.se_guardo[campo](leida, valor)
        else:
            guardado = getattr(leida, campo) == valor
        if not guardado:
            distintos.append(campo)
    return distintos


def comprobar_valores_de_la_ficha(ficha: FichaDAO) -> None:
    """Falla si la ficha no da dos valores distintos de algún campo de la entidad."""
    sin_valores = [campo for campo in campos(ficha) if campo not in ficha.valores]
    assert sin_valores == [], f"la ficha de {ficha} no da dos valores de {sin_valores}"
    iguales = [campo for campo, (uno, otro) in ficha.valores.items() if uno == otro]
    assert iguales == [], f"la ficha de {ficha} da dos valores iguales de {iguales}"


def comprobar_que_se_guarda(ficha: FichaDAO, campo: str, numero: int = 1) -> None:
    """Inserta la entidad de ejemplo `numero` con el primer valor de `campo` y la actualiza
    con el segundo: falla si alguna vez la base no tiene lo esperado en cada campo."""
    primero, segundo = ficha.valores[campo]
    esperados = {otro: getattr(ficha.ejemplo(numero), otro) for otro in campos(ficha)}
    esperados[campo] = primero
    nueva = ficha.ejemplo(numero)
    for otro, valor in esperados.items():
        setattr(nueva, otro, valor)
    ficha.dao.insertar(nueva)
    id_ = getattr(nueva, ficha.id)
    assert no_guardados(ficha, id_, esperados) == [], "insertar no guardó esos campos"

    esperados[campo] = segundo
    cambio = con_id(ficha, ficha.ejemplo(numero), id_)
    for otro, valor in esperados.items():
        setattr(cambio, otro, valor)
    assert ficha.dao.actualizar(cambio) == 1
    # Solo cambió `campo`: un UPDATE que lo olvida, o que pisa otro, no pasa de aquí.
    assert no_guardados(ficha, id_, esperados) == [], "actualizar no guardó esos campos"


def siguiente_id(ficha: FichaDAO) -> int:
    """El id que recibe una entidad nueva: si no avanzó, es que no llegó a ejecutarse un INSERT."""
    entidad = guardar(ficha, 1000)
    ficha.dao.eliminar(entidad)
    return getattr(entidad, ficha.id)


# --- ida y vuelta ---------------------------------------------------------------------


def test_ida_y_vuelta_de_cada_metodo(ficha):
    """Lo insertado se lee igual, lo actualizado cambia y lo eliminado desaparece."""
    dao = ficha.dao
    entidad = ficha.ejemplo(1)

    assert dao.insertar(entidad) == 1
    id_ = getattr(entidad, ficha.id)
    assert isinstance(id_, int) and id_ >= 1
    assert dao.buscar_por_id(id_) == entidad
    assert dao.seleccionar() == [entidad]
    assert list(dao.iterar()) == [entidad]
    assert dao.seleccionar_pagina(10) == [entidad]
    assert dao.contar() == 1

    cambio = cambio_de(ficha, entidad, 2)
    assert dao.actualizar(cambio) == 1
    assert dao.buscar_por_id(id_) == cambio
    assert dao.buscar_por_id(id_) != ficha.ejemplo(1)

    assert dao.eliminar(cambio) == 1
    assert dao.eliminar(cambio) == 0
    assert dao.buscar_por_id(id_) is None
    assert dao.contar() == 0
    assert dao.seleccionar() == []
    assert list(dao.iterar()) == []


def test_actualizar_o_eliminar_un_id_que_no_existe_devuelve_0_y_no_cambia_nada(ficha):
    """Actualizar o eliminar un id que no existe devuelve 0 y no cambia nada."""
    guardar(ficha, 1)
    antes = ficha.dao.seleccionar()

    for id_ in (999, 0, -1, 2**31, 2**70):
        assert ficha.dao.actualizar(con_id(ficha, ficha.ejemplo(2), id_)) == 0
        assert ficha.dao.eliminar(con_id(ficha, ficha.ejemplo(2), id_)) == 0
        assert ficha.dao.buscar_por_id(id_) is None

    assert ficha.dao.seleccionar() == antes


@pytest.mark.parametrize("id_", [None, "1", 1.0, True])
def test_un_id_que_no_es_entero_lanza_datos_invalidos_que_lo_nombra(ficha, id_):
    """Un id que no es un entero se rechaza con DatosInvalidosError, que nombra el campo del id."""
    guardada = guardar(ficha, 1)
    antes = ficha.dao.seleccionar()

    with pytest.raises(DatosInvalidosError, match=f"El campo {ficha.id} "):
        ficha.dao.buscar_por_id(id_)
    with pytest.raises(DatosInvalidosError, match=f"El campo {ficha.id} "):
        ficha.dao.actualizar(con_id(ficha, ficha.ejemplo(2), id_))
    with pytest.raises(DatosInvalidosError, match=f"El campo {ficha.id} "):
        ficha.dao.eliminar(con_id(ficha, ficha.ejemplo(2), id_))

    assert ficha.dao.seleccionar() == antes == [guardada]


# --- cada campo se guarda --------------------------------------------------------------


def test_la_ficha_da_dos_valores_de_cada_campo(ficha):
    """La ficha da dos valores válidos y distintos de cada campo de la entidad."""
    comprobar_valores_de_la_ficha(ficha)


CASOS_CAMPOS = [
    pytest.param(ficha, campo, id=f"{ficha}-{campo}") for ficha in FICHAS for campo in campos(ficha)
]


@pytest.mark.parametrize(("ficha", "campo"), CASOS_CAMPOS)
def test_insertar_y_actualizar_guardan_cada_campo(ficha, campo):
    """Insertar guarda cada campo, y actualizar cambia cada uno sin tocar los demás."""
    comprobar_que_se_guarda(ficha, campo)


def test_un_dao_cuyo_update_olvida_una_columna_no_pasa_el_contrato():
    """La suite descubre un UPDATE que olvida una columna, aunque la ficha no la varíe."""

    class PersonaDAOOlvidadizo(PersonaDAO):
        # El apellido se queda como estaba: coalesce de una columna NOT NULL es ella misma.
        _ACTUALIZAR = (
            "UPDATE persona SET nombre = %s, apellido = coalesce(apellido, %s), email = %s "
            "WHERE id_persona = %s"
        )

    persona = next(ficha for ficha in FICHAS if ficha.dao is PersonaDAO)
    # Un ejemplo que no cambia el apellido con el número: la ida y vuelta no lo vería.
    olvidadiza = replace(
        persona,
        dao=PersonaDAOOlvidadizo,
        ejemplo=lambda n: Persona(None, f"Nombre{n}", "Pérez", f"persona{n}@ejemplo.com"),
    )

    comprobar_que_se_guarda(olvidadiza, "nombre")  # lo demás sí lo guarda
    with pytest.raises(AssertionError, match="actualizar no guardó esos campos"):
        comprobar_que_se_guarda(olvidadiza, "apellido", numero=2)


def test_una_ficha_sin_dos_valores_de_un_campo_no_pasa_el_contrato():
    """Un campo nuevo en la entidad obliga a dar sus valores en la ficha."""
    persona = next(ficha for ficha in FICHAS if ficha.dao is PersonaDAO)
    sin_apellido = {campo: par for campo, par in persona.valores.items() if campo != "apellido"}
    repetido = {**persona.valores, "nombre": ("Ana", "Ana")}

    with pytest.raises(AssertionError, match=r"no da dos valores de \['apellido'\]"):
        comprobar_valores_de_la_ficha(replace(persona, valores=sin_apellido))
    with pytest.raises(AssertionError, match=r"dos valores iguales de \['nombre'\]"):
        comprobar_valores_de_la_ficha(replace(persona, valores=repetido))


# --- páginas y lotes ------------------------------------------------------------------


def test_paginas_y_lotes_recorren_la_tabla_en_orden_de_id(ficha):
    """Las páginas y los lotes recorren la tabla entera, en orden de id."""
    guardadas = guardar_desordenadas(ficha)

    todas = ficha.dao.seleccionar()
    paginas = [ficha.dao.seleccionar_pagina(2, desplazamiento) for desplazamiento in (0, 2, 4)]

    assert todas == sorted(guardadas, key=lambda entidad: getattr(entidad, ficha.id))
    assert [len(pagina) for pagina in paginas] == [2, 2, 1]
    assert sum(paginas, []) == todas
    assert list(ficha.dao.iterar(tamano_lote=2)) == todas
    assert ficha.dao.seleccionar_pagina(2, 5) == []
    assert ficha.dao.seleccionar_pagina(2**62, 2**62) == []


@pytest.mark.parametrize(
    ("llamar", "campo"),
    [
        pytest.param(lambda dao: dao.seleccionar_pagina(0), "limite", id="limite_0"),
        pytest.param(lambda dao: dao.seleccionar_pagina(2**63), "limite", id="limite_enorme"),
        pytest.param(lambda dao: dao.seleccionar_pagina("2"), "limite", id="limite_texto"),
        pytest.param(lambda dao: dao.seleccionar_pagina(2.0), "limite", id="limite_float"),
        pytest.param(lambda dao: dao.seleccionar_pagina(True), "limite", id="limite_bool"),
        pytest.param(lambda dao: dao.seleccionar_pagina(2, None), "desplazamiento", id="d_none"),
        pytest.param(lambda dao: dao.seleccionar_pagina(2, -1), "desplazamiento", id="d_negativo"),
        pytest.param(lambda dao: dao.iterar(0), "tamano_lote", id="lote_0"),
        pytest.param(lambda dao: dao.iterar(None), "tamano_lote", id="lote_none"),
        pytest.param(lambda dao: dao.iterar(1.5), "tamano_lote", id="lote_float"),
    ],
)
def test_pagina_o_lote_invalido_lanza_datos_invalidos_al_llamar_sin_pedir_conexion(
    ficha, llamar, campo
):
    """Una página o un lote no válido se rechaza al llamar, sin pedir una conexión."""
    with pytest.raises(DatosInvalidosError, match=f"El campo {campo} "):
        llamar(ficha.dao)  # iterar() también: al llamarlo, no al empezar a recorrer

    assert en_uso() == 0


# --- entradas no válidas y duplicadas -------------------------------------------------

CASOS_INVALIDOS = [
    pytest.param(ficha, campo, valor, id=f"{ficha}-{campo}")
    for ficha in FICHAS
    for campo, valor in ficha.invalidos.items()
]


@pytest.mark.parametrize(("ficha", "campo", "valor"), CASOS_INVALIDOS)
def test_dato_invalido_lanza_datos_invalidos_y_no_toca_la_tabla(ficha, campo, valor):
    """Un dato no válido se rechaza con DatosInvalidosError antes de tocar la tabla."""
    guardada = guardar(ficha, 1)
    antes = ficha.dao.seleccionar()
    nueva = ficha.ejemplo(2)
    setattr(nueva, campo, valor)
    cambio = cambio_de(ficha, guardada, 3)
    setattr(cambio, campo, valor)

    with pytest.raises(DatosInvalidosError, match=f"^El campo {etiqueta(campo)} "):
        ficha.dao.insertar(nueva)
    with pytest.raises(DatosInvalidosError, match=f"^El campo {etiqueta(campo)} "):
        ficha.dao.actualizar(cambio)

    assert getattr(nueva, ficha.id) is None
    assert ficha.dao.seleccionar() == antes
    assert siguiente_id(ficha) == getattr(guardada, ficha.id) + 1  # ningún INSERT llegó a la base


def test_duplicado_lanza_registro_duplicado_con_el_campo_y_el_valor_y_no_pierde_nada(ficha):
    """Un valor único repetido da RegistroDuplicadoError con el campo y el valor; nada se pierde."""
    original = guardar(ficha, 1)
    otra_id = getattr(guardar(ficha, 2), ficha.id)
    antes = ficha.dao.seleccionar()
    repetido = getattr(original, ficha.unico)

    with pytest.raises(RegistroDuplicadoError) as al_insertar:
        ficha.dao.insertar(copia_del_unico(ficha, original, 3))
    with pytest.raises(RegistroDuplicadoError) as al_actualizar:
        ficha.dao.actualizar(con_id(ficha, copia_del_unico(ficha, original, 4), otra_id))

    for error in (al_insertar.value, al_actualizar.value):
        assert (error.campo, error.valor) == (ficha.unico, repetido)
        assert f"{etiqueta(ficha.unico)} '{repetido}'" in str(error)
    assert ficha.dao.seleccionar() == antes


# --- transacciones de quien llama (cursor=) ---------------------------------------------


def test_con_cursor_las_llamadas_van_en_la_transaccion_de_quien_llama(ficha):
    """Con cursor=, cada método trabaja en la transacción de quien llama y no confirma nada."""
    dao = ficha.dao
    primera = guardar(ficha, 1)

    with CursorDelPool() as cursor:
        segunda = ficha.ejemplo(2)
        assert dao.insertar(segunda, cursor=cursor) == 1
        id_ = getattr(segunda, ficha.id)
        assert dao.actualizar(cambio_de(ficha, primera, 3), cursor=cursor) == 1
        assert dao.contar(cursor=cursor) == 2
        assert dao.buscar_por_id(id_, cursor=cursor) == segunda
        assert len(dao.seleccionar(cursor=cursor)) == 2
        assert len(dao.seleccionar_pagina(5, cursor=cursor)) == 2
        assert len(list(dao.iterar(cursor=cursor))) == 2
        # Otra conexión no ve nada hasta el final del with: el DAO no confirmó.
        assert dao.seleccionar() == [primera]

    assert dao.seleccionar() == [cambio_de(ficha, primera, 3), segunda]


def _fallar_por_duplicado_sin_capturar(ficha, cursor):
    # ejemplo(2) se insertó antes en la misma transacción.
    ficha.dao.insertar(copia_del_unico(ficha, ficha.ejemplo(2), 4), cursor=cursor)


def _fallar_por_dato_invalido(ficha, cursor):
    campo, valor = next(iter(ficha.invalidos.items()))
    invalida = ficha.ejemplo(4)
    setattr(invalida, campo, valor)
    ficha.dao.insertar(invalida, cursor=cursor)


def _interrumpir(ficha, cursor):
    raise KeyboardInterrupt


def _fallar_en_la_aplicacion(ficha, cursor):
    raise RuntimeError("fallo de la aplicación a mitad de la transacción")


@pytest.mark.parametrize(
    ("fallar", "error"),
    [
        (_fallar_por_duplicado_sin_capturar, RegistroDuplicadoError),
        (_fallar_por_dato_invalido, DatosInvalidosError),
        (_fallar_en_la_aplicacion, RuntimeError),
        (_interrumpir, KeyboardInterrupt),
    ],
    ids=["duplicado", "dato_invalido", "error_propio", "ctrl_c"],
)
def test_transaccion_de_quien_llama_que_falla_a_mitad_no_deja_nada(ficha, fallar, error):
    """Si la transacción de quien llama falla a mitad, no queda nada de ella."""
    primera = guardar(ficha, 1)
    antes = ficha.dao.seleccionar()

    with pytest.raises(error), CursorDelPool() as cursor:
        ficha.dao.insertar(ficha.ejemplo(2), cursor=cursor)
        ficha.dao.actualizar(cambio_de(ficha, primera, 3), cursor=cursor)
        ficha.dao.eliminar(primera, cursor=cursor)
        fallar(ficha, cursor)

    assert ficha.dao.seleccionar() == antes


def test_error_capturado_dentro_de_una_transaccion_de_fuera_no_la_estropea(ficha):
    """Un error capturado dentro de la transacción de quien llama no la deja inservible."""
    dao = ficha.dao
    primera = ficha.ejemplo(1)

    with CursorDelPool() as cursor:
        dao.insertar(primera, cursor=cursor)
        with pytest.raises(RegistroDuplicadoError):
            dao.insertar(copia_del_unico(ficha, primera, 2), cursor=cursor)
        invalido = ficha.ejemplo(3)
        campo, valor = next(iter(ficha.invalidos.items()))
        setattr(invalido, campo, valor)
        with pytest.raises(DatosInvalidosError):
            dao.insertar(invalido, cursor=cursor)
        # Sin el SAVEPOINT, esto fallaría: «current transaction is aborted».
        tercera = ficha.ejemplo(4)
        dao.insertar(tercera, cursor=cursor)
        assert dao.contar(cursor=cursor) == 2

    assert dao.seleccionar() == [primera, tercera]


# --- la conexión: perdida y siempre devuelta ----------------------------------------------

LLAMADAS = {
    "seleccionar": lambda ficha, guardada: ficha.dao.seleccionar(),
    "seleccionar_pagina": lambda ficha, guardada: ficha.dao.seleccionar_pagina(10),
    "iterar": lambda ficha, guardada: list(ficha.dao.iterar()),
    "buscar_por_id": lambda ficha, guardada: ficha.dao.buscar_por_id(getattr(guardada, ficha.id)),
    "contar": lambda ficha, guardada: ficha.dao.contar(),
    "insertar": lambda ficha, guardada: ficha.dao.insertar(ficha.ejemplo(2)),
    "actualizar": lambda ficha, guardada: ficha.dao.actualizar(cambio_de(ficha, guardada, 3)),
    "eliminar": lambda ficha, guardada: ficha.dao.eliminar(guardada),
}


@pytest.mark.parametrize("llamada", LLAMADAS)
def test_conexion_perdida_lanza_conexion_error_y_no_deja_nada(
    ficha, llamada, matar_la_proxima_conexion
):
    """Con la conexión perdida, cada método lanza ConexionError y no deja nada a medias."""
    guardada = guardar(ficha, 1)
    antes = ficha.dao.seleccionar()
    matar_la_proxima_conexion()

    with pytest.raises(ConexionError, match="Se perdió la conexión"):
        LLAMADAS[llamada](ficha, guardada)

    assert en_uso() == 0
    assert ficha.dao.seleccionar() == antes  # y el pool abre otra conexión sin problema


def test_conexion_perdida_a_mitad_de_una_transaccion_de_quien_llama_no_deja_nada(
    ficha, matar_backend
):
    """Con la conexión perdida a mitad de la transacción de quien llama, no queda nada de ella."""
    guardar(ficha, 1)
    antes = ficha.dao.seleccionar()

    with pytest.raises(ConexionError), CursorDelPool() as cursor:
        ficha.dao.insertar(ficha.ejemplo(2), cursor=cursor)
        matar_backend(pid_de(cursor.connection))
        ficha.dao.insertar(ficha.ejemplo(3), cursor=cursor)

    assert en_uso() == 0
    assert ficha.dao.seleccionar() == antes


def test_conexion_perdida_a_mitad_de_iterar_lanza_conexion_error(ficha, matar_backend):
    """Con la conexión perdida a mitad de iterar, se lanza ConexionError."""
    for numero in range(10):
        guardar(ficha, numero)
    pid = pid_de_la_proxima_conexion()
    iterador = ficha.dao.iterar(tamano_lote=2)
    next(iterador)

    matar_backend(pid)

    with pytest.raises(ConexionError, match="Se perdió la conexión"):
        for _entidad in iterador:
            pass
    assert en_uso() == 0


def _abandonar_iterar(ficha):
    iterador = ficha.dao.iterar(tamano_lote=1)
    next(iterador)
    assert en_uso() == 1
    del iterador  # la única referencia: el generador se cierra al recogerse


def _fallar_al_consumir_iterar(ficha):
    with pytest.raises(RuntimeError):
        for _entidad in ficha.dao.iterar(tamano_lote=1):
            raise RuntimeError("fallo al procesar una fila")


def _fallar_por_duplicado(ficha):
    with pytest.raises(RegistroDuplicadoError):
        ficha.dao.insertar(copia_del_unico(ficha, ficha.dao.seleccionar()[0], 3))


CAMINOS = {
    "bien": lambda ficha: ficha.dao.seleccionar(),
    "iterar_completo": lambda ficha: list(ficha.dao.iterar(tamano_lote=1)),
    "iterar_abandonado": _abandonar_iterar,
    "iterar_con_error_al_consumir": _fallar_al_consumir_iterar,
    "iterar_sin_empezar": lambda ficha: ficha.dao.iterar().close(),
    "duplicado": _fallar_por_duplicado,
}


@pytest.mark.parametrize("camino", CAMINOS)
def test_la_conexion_vuelve_al_pool_por_cada_camino(ficha, camino):
    """La conexión vuelve al pool por cada camino: bien, con error o con iterar a medias."""
    guardar(ficha, 1)
    guardar(ficha, 2)

    CAMINOS[camino](ficha)

    assert en_uso() == 0
    assert ficha.dao.contar() == 2
