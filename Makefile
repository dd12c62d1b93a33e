# The two commands: `make run` serves the service with demo data; `make test` checks everything.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test setup assets lint format clean

# The web server and the background worker together: one command, one Ctrl-C.
run: setup
	$(BIN)/cme db upgrade
	$(BIN)/cme demo seed --if-empty
	$(BIN)/cme serve --with-worker --host $(HOST) --port $(PORT)

# Lint, then every test on SQLite and on PostgreSQL (TEST_DATABASE_URL) on all cores, then the suite again
# on three awkward days; prints each leg's wall time (scripts/test.sh).
test: setup
	scripts/test.sh

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
