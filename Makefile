# Dos órdenes bastan en una máquina nueva: `make run` y `make test`.
# Cada una crea .venv si falta e instala las dependencias solo cuando cambian.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip install --quiet --disable-pip-version-check
INSTALADO := $(VENV)/.instalado
INSTALADO_DEV := $(VENV)/.instalado-dev
INSTALADO_BENCH := $(VENV)/.instalado-bench

.DEFAULT_GOAL := ayuda
.PHONY: ayuda run test lint psql demo bench caos calificar stop clean

ayuda: ## Muestra las órdenes disponibles
	@echo "Órdenes disponibles:"
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z]+):.*## (.*)/  make \1\t\2/' | expand -t 18

$(PY):
	$(PYTHON) -m venv $(VENV)

$(INSTALADO): requirements.txt | $(PY)
	$(PIP) -r requirements.txt
	@touch $@

$(INSTALADO_DEV): requirements.txt requirements-dev.txt | $(PY)
	$(PIP) -r requirements-dev.txt
	@touch $@ $(INSTALADO)

$(INSTALADO_BENCH): requirements-bench.txt $(INSTALADO_DEV)
	$(PIP) -r requirements-bench.txt
	@touch $@

run: $(INSTALADO) ## Arranca el menú de usuarios (PostgreSQL embebido si no hay otro configurado)
	@$(PY) -m acceso_datos

# --cov: cobertura de ramas (configurada en pyproject.toml) con su tabla al final; si baja
# del suelo (fail_under), falla. Para una parte de la suite, pytest a mano va sin ella.
test: $(INSTALADO_DEV) ## Ejecuta los tests contra un PostgreSQL real, con la cobertura
	$(PY) -m pytest --cov --cov-report=term-missing:skip-covered

lint: $(INSTALADO_DEV) ## Revisa el estilo (ruff check y format --check) y los tipos (mypy --strict)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy --strict

psql: $(INSTALADO) ## Abre psql sobre la base configurada o la embebida
	@$(PY) -m acceso_datos --psql

demo: $(INSTALADO) ## Demostración del pool: el del curso frente a este, esperas, rollback y 20 hilos
	@$(PY) -m acceso_datos.demo_pool

# RAPIDO=1: menos rondas y filas (menos de un minuto), con el informe en
# benchmarks/RESULTADOS-rapido.md (ignorado por git); RAPIDO=0 o vacío, la medida completa,
# en benchmarks/RESULTADOS.md.
bench: $(INSTALADO_BENCH) ## Mide el pool frente a las alternativas (RAPIDO=1: en menos de 1 min)
	$(PY) -m benchmarks.bench_pool$(if $(filter-out 0,$(RAPIDO)), --rapido)

# SEGUNDOS y SEMILLA: cuánto dura y qué averías toca (por defecto 60 y 1); sale con 1 si algo
# de lo garantizado no se cumple. La versión corta está en `make test` (tests/test_caos.py).
caos: $(INSTALADO_DEV) ## Averías al azar (procesos muertos, reinicio, red congelada) y lo que el pool garantiza
	PYTHONPATH=. $(PY) tests/caos.py --segundos $(or $(SEGUNDOS),60) --semilla $(or $(SEMILLA),1)

# ENTREGAS=carpeta: cada subcarpeta es la entrega de un alumno. SALIDA y JSON son opcionales
# (por defecto, los informes van a calificaciones/; con JSON=archivo, también en JSON).
calificar: $(INSTALADO) ## Califica las entregas de una clase: make calificar ENTREGAS=carpeta
	@$(if $(ENTREGAS),,echo "Falta la carpeta de las entregas: make calificar ENTREGAS=carpeta" >&2; exit 2)
	@$(PY) -m acceso_datos.calificar --clase "$(ENTREGAS)" $(if $(SALIDA),--salida "$(SALIDA)") $(if $(JSON),--json "$(JSON)")

stop: $(INSTALADO) ## Detiene el PostgreSQL embebido de .pgdata/ (o DB_EMBEDDED_DIR) si sigue en marcha
	@$(PY) -m acceso_datos --detener

clean: ## Borra .venv y las cachés (nunca los datos de .pgdata)
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache .hypothesis .coverage .coverage.*
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
