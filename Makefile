# The two commands: `make run` serves the service with demo data; `make test` checks everything.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test setup assets lint format clean

run: setup
	$(BIN)/cme db upgrade
	$(BIN)/cme demo seed --if-empty
	$(BIN)/cme serve --host $(HOST) --port $(PORT)

test: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	@echo "== Security: the code's own weaknesses (bandit), known vulnerabilities in what is installed (pip-audit)"
	$(BIN)/bandit -q -c pyproject.toml -r portal shared dashboard config.py wsgi.py
	$(BIN)/pip-audit --skip-editable --progress-spinner off
	@echo "== Tests on SQLite"
	env -u TEST_DATABASE_URL $(BIN)/pytest
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
		echo "== Tests on PostgreSQL"; $(BIN)/pytest; \
	elif [ "$$CME_REQUIRE_ALL_LEGS" = 1 ]; then \
		echo "TEST_DATABASE_URL is not set: the PostgreSQL leg must run here"; exit 1; \
	else echo "== PostgreSQL leg not run: set TEST_DATABASE_URL to run it"; fi

setup: $(VENV)/.installed portal/static/.built

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

portal/static/.built: package.json package-lock.json scripts/build-assets.sh $(wildcard portal/assets/*)
	scripts/build-assets.sh
	touch $@

assets:
	scripts/build-assets.sh && touch portal/static/.built

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) node_modules portal/static *.egg-info
