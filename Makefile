# Paperboard: `make run` serves the demo site, `make test` runs lint and the test suite.
# Both create .venv and install what is needed on first use.

SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

# Python 3.12 (pgserver, the embedded PostgreSQL, ships wheels up to 3.12): on PATH or under pyenv.
PYTHON ?= $(shell for candidate in python3.12 $$HOME/.pyenv/versions/3.12*/bin/python3 python3; do \
	if $$candidate -c 'import sys; sys.exit(sys.version_info[:2] != (3, 12))' >/dev/null 2>&1; then echo $$candidate; break; fi; done)

.PHONY: install run test lint format stop browser clean

$(STAMP): pyproject.toml
	@if [ -z "$(PYTHON)" ]; then echo "Paperboard needs Python 3.12 (python3.12 on PATH or under pyenv): the embedded PostgreSQL ships no wheels for newer Pythons yet."; exit 1; fi
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
	DEBUG=1 $(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

stop: install
	DEBUG=1 $(BIN)/python -c "from config.embedded import stop_embedded_services as s; print('stopped:', s() or 'nothing running')"

clean: stop
	rm -rf .data
