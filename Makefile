# The two commands a newcomer needs: `make up` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
PYTEST_WORKERS ?= 2

.PHONY: up test lint typecheck pytest web web-build lock db-start db-stop clean help

help:
	@echo "make up    - install, start PostgreSQL (embedded), migrate, load demo data, run everything"
	@echo "make test  - ruff, mypy (strict), web type-check/build, pytest (parallel, real PostgreSQL)"

# --- Python environment (reinstalled only when a lockfile changes) --------------------------------
$(VENV)/.installed: requirements-dev.lock requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required")'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --disable-pip-version-check -r requirements-dev.lock
	$(PIP) install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $@

# --- Web app (npm ci only when the lockfile changes; build only when sources change) -------------
WEB_SOURCES := $(shell find web/src web/public web/index.html web/vite.config.ts web/first-load-budget.ts web/tsconfig*.json web/package.json -type f 2>/dev/null)

web/node_modules/.installed: web/package-lock.json
	cd web && npm ci --no-audit --no-fund
	@touch $@

web/dist/index.html: web/node_modules/.installed $(WEB_SOURCES)
	cd web && npm run build
	@touch $@

web: web/dist/index.html

# --- The two commands ----------------------------------------------------------------------------
up: $(VENV)/.installed web
	$(PY) -m shared.devstack up

test: lint typecheck web pytest

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(VENV)/.installed
	$(VENV)/bin/mypy

# pytest exit code 5 means "collected no tests": for this suite that is a failure, said plainly.
pytest: $(VENV)/.installed
	@set +e; $(PY) -m pytest -n $(PYTEST_WORKERS) -q $(PYTEST_ARGS); code=$$?; \
	if [ $$code -eq 5 ]; then echo "pytest collected no tests: failing on purpose"; exit 1; fi; \
	exit $$code

# --- Maintenance ---------------------------------------------------------------------------------
lock: $(VENV)/.installed
	$(VENV)/bin/pip-compile -q --generate-hashes --strip-extras --no-emit-index-url --no-emit-find-links -o requirements.lock pyproject.toml
	$(VENV)/bin/pip-compile -q --generate-hashes --strip-extras --extra dev --no-emit-index-url --no-emit-find-links -o requirements-dev.lock pyproject.toml

db-start: $(VENV)/.installed
	$(PY) -m shared.devstack db start

db-stop: $(VENV)/.installed
	$(PY) -m shared.devstack db stop

clean:
	rm -rf $(VENV) web/node_modules web/dist
