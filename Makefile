# The two commands of the README: `make run` and `make test`. Everything else supports them.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?= -n 2 --dist loadfile
STAMP := $(VENV)/.installed

.PHONY: run test setup lint typecheck pytest openapi audit clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

NODE_STAMP := node_modules/.installed

# npm packages again only when the lock file changes; the assets are copied on every setup.
$(NODE_STAMP): package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

setup: $(STAMP) $(NODE_STAMP)
	$(BIN)/python -m hub.portal.assets
	$(BIN)/python -m hub.api.docs_assets

## Set everything up and run the hub on its embedded defaults (SQLite, files under instance/).
run: setup
	$(BIN)/hub db upgrade
	$(BIN)/hub demo
	@echo
	@echo "The hub is starting at http://$(HOST):$(PORT)/  (API reference: http://$(HOST):$(PORT)/api/v1/docs, portal: http://$(HOST):$(PORT)/portal)"
	@echo "Demo credentials are above (also in instance/demo-credentials.json). Stop with Ctrl-C."
	$(BIN)/hub serve --dev --host $(HOST) --port $(PORT)

## Set everything up and run the whole test suite (lint, types, tests).
test: setup lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check hub tests bench
	$(BIN)/ruff format --check hub tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/python -m pytest -p no:cacheprovider $(PYTEST_ARGS)

## Known vulnerabilities in the installed dependencies (needs PyPI's JSON API or OSV online;
## --strict fails when a package cannot be checked rather than passing it unchecked).
audit: $(STAMP)
	$(BIN)/pip-audit --strict --skip-editable --local --progress-spinner off

## Regenerate the committed OpenAPI document after changing the API.
openapi: $(STAMP)
	$(BIN)/python -m hub.openapi > openapi/openapi.json.tmp && mv openapi/openapi.json.tmp openapi/openapi.json

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
