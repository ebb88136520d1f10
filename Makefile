# Thin recipes: reading this file is the documentation.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: run test test-fast lint format seed

# Python may keep the bytecode it compiles (some machines set PYTHONDONTWRITEBYTECODE):
# otherwise every test worker and every process a test starts compiles the project and
# its tests again (pytest's rewritten tests included), 8 of a worker's 21 s to collect.
unexport PYTHONDONTWRITEBYTECODE

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-* && touch $(STAMP)

## Run the app with demo data on SQLite at http://127.0.0.1:8000, and its background
## worker beside it (Procfile; Ctrl-C stops both).
run: $(STAMP)
	DEBUG=1 $(BIN)/python manage.py migrate --no-input
	DEBUG=1 $(BIN)/python manage.py seed_demo
	DEBUG=1 PATH="$(abspath $(BIN)):$$PATH" $(BIN)/honcho start -f Procfile

## Run the whole test suite (DATABASE_URL picks the database; SQLite by default)
## on one worker per core (pytest-xdist; each worker has its own test database).
TEST_WORKERS ?= auto
test: $(STAMP)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

## The quick loop: everything but the quality gates and the browser tests.
test-fast: $(STAMP)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) -m "not gates and not browser" $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .
