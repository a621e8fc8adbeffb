"""Números y plurales en español (`formato.py`)."""

from acceso_datos.formato import numero, plural, segundos


def test_numero_con_coma_decimal_y_espacio_entre_millares():
    assert numero(1234567.891, 2) == "1 234 567,89"
    assert numero(0.5, 1) == "0,5"
    assert numero(1114.2) == "1 114"


def test_segundos_con_coma_decimal():
    assert segundos(2.0) == "2,0 s"
    assert segundos(0.004, 2) == "0,00 s"
    assert [segundos(plazo, None) for plazo in (30, 0.5)] == ["30 s", "0,5 s"]


def test_plural_solo_con_uno_en_singular():
    assert plural(1, "conexión", "conexiones") == "1 conexión"
    assert [plural(n, "hilo", "hilos") for n in (0, 2)] == ["0 hilos", "2 hilos"]
