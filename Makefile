# Pitstop — the two commands: `make run` and `make test`. Both set themselves up.
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: run test test-heavy test-remote bench lint setup frontend synth deploy clean

setup: $(STAMP) frontend

$(STAMP): requirements.lock packages/appsync-local/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	@# quiet on success (pip on some machines warns about every unreachable extra index); the log on failure
	$(VENV)/bin/pip install -q --disable-pip-version-check -r requirements.lock > $(VENV)/pip.log 2>&1 \
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
	$(PY) -m pytest tests/appsync_local --ignore=tests/appsync_local/engine -p no:cacheprovider

## make bench: benchmarks, printed and written to bench/results.json.
bench: setup
	$(PY) -m bench

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	@if [ -f frontend/package.json ]; then $(MAKE) -s -C frontend lint; fi

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
