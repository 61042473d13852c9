# Pitstop — the two commands: `make run` and `make test`. Both set themselves up.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: run test test-heavy bench lint setup frontend clean

setup: $(STAMP) frontend

$(STAMP): requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check -r requirements.lock
	touch $(STAMP)

# The frontend build (Vite). Filled in by the frontend work; a no-op while frontend/ has no package.json.
frontend:
	@if [ -f frontend/package.json ]; then $(MAKE) -s -C frontend build; fi

run: setup
	$(PY) -m appsync_local

test: setup lint
	$(PY) -m pytest

test-heavy: setup
	$(PY) -m pytest -m heavy

bench: setup
	$(PY) -m bench

lint: $(STAMP)
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) frontend/node_modules frontend/dist cdk.out .pytest_cache
