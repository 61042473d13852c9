# Pitstop — the two commands: `make run` and `make test`. Both set themselves up.
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: run test test-heavy test-remote bench lint lock setup frontend synth deploy clean

setup: $(STAMP) frontend

$(STAMP): requirements.lock packages/appsync-local/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	@# quiet on success (pip on some machines warns about every unreachable extra index); the log on failure
	@# every file is checked against its hash in the lock (`make lock` writes them)
	$(VENV)/bin/pip install -q --disable-pip-version-check --require-hashes -r requirements.lock \
	  > $(VENV)/pip.log 2>&1 \
	  || (grep -v '^WARNING: Location' $(VENV)/pip.log; exit 1)
	@# the local AppSync, a distribution of its own (editable: its sources are this repo's), built by the
	@# setuptools its pyproject.toml pins
	$(VENV)/bin/pip install -q --disable-pip-version-check --no-deps -e packages/appsync-local
	$(PY) -c "import aws_lambda_powertools, moto, gql, graphql, aws_cdk, starlette, appsync_local.engine"
	touch $(STAMP)

# The frontend build (Vite), rebuilt only when its sources or lockfile changed.
frontend:
	@if [ -f frontend/package.json ]; then $(MAKE) -s -C frontend build; fi

## make run: the whole stack locally, offline (see README).
run: setup
	$(PY) -m pitstop_local

## make test: lint + every test (unit, resolvers on moto, local stack, CDK checks, browser).
test: setup lint
	$(PY) -m pytest --cov=resolvers --cov=pitstop_local --cov=appsync_local --cov-report=term:skip-covered

## make test-heavy: the long reliability and load tests.
test-heavy: setup
	$(PY) -m pytest -m heavy

## make test-remote: the gql session tests against a deployed stage (PITSTOP_OUTPUTS=amplify_outputs.json,
## PITSTOP_STAFF_USERNAME, PITSTOP_STAFF_PASSWORD).
test-remote: $(STAMP)
	@test -n "$$PITSTOP_OUTPUTS" || (echo "set PITSTOP_OUTPUTS to a deployed amplify_outputs.json" >&2; exit 2)
	$(PY) -m pytest tests/pitstop_local -p no:cacheprovider

## make bench: benchmarks, printed and written to bench/results.json.
bench: setup
	$(PY) -m bench

## make lint: ruff (lint and format), mypy (strict; files and settings in pyproject.toml), and zizmor's offline
## audits of the GitHub workflows (pinned actions, permissions, ...).
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	@if [ -f frontend/package.json ]; then $(MAKE) -s -C frontend lint; fi
	$(VENV)/bin/zizmor --offline --no-progress .github/workflows/

## make lock: requirements.lock from requirements.txt, with every file's hash; the only way to change
## the lock (never by hand). pip-compile keeps the versions the lock already pins unless
## requirements.txt asks otherwise (to upgrade one: add `--upgrade-package NAME`). It resolves on
## $(PYTHON) (3.11, the dev/CI Python); the Lambda functions run on 3.13 with the Powertools layer and
## the runtime's boto3, not from this file. pip's own configuration is ignored so that the hashes are
## those of PyPI's files, not of a machine's local wheel folders or extra indexes.
## Extras stay in the lock (`coverage[toml]==...`): pip's hash-checking mode refuses a dependency's
## extra (pytest-cov wants coverage[toml]) that the lock pins without it.
LOCK_VENV ?= /tmp/pitstop-pip-tools
LOCK_CMD := pip-compile --generate-hashes --allow-unsafe --no-strip-extras --no-emit-index-url \
	--output-file requirements.lock requirements.txt
lock:
	$(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/pip install -q --disable-pip-version-check pip-tools==7.6.2
	env -u PIP_FIND_LINKS PIP_CONFIG_FILE=/dev/null \
	  CUSTOM_COMPILE_COMMAND="make lock = $(LOCK_CMD) (pip-tools 7.6.2, on Python 3.11: the dev/CI machine's lock; the Lambda runtime is 3.13)" \
	  $(LOCK_VENV)/bin/$(LOCK_CMD) --quiet

node_modules/.stamp: package-lock.json
	npm ci --no-audit --no-fund
	touch $@

## make synth / make deploy: the CDK app (deploy needs AWS credentials; see docs/deploy.md).
synth: setup node_modules/.stamp
	npx cdk synth

deploy: setup node_modules/.stamp
	npx cdk deploy

clean:
	rm -rf $(VENV) node_modules frontend/node_modules frontend/dist cdk.out .pytest_cache .coverage
