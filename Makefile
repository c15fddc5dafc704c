# ordertrack: `make run` starts the app on http://localhost:$(PORT); `make test` runs every test.
# `make run-cluster` runs the production build with $(WORKERS) workers on PostgreSQL + Redis (README).
SHELL := /bin/bash
PYTHON ?= python3
PORT ?= 3000
WORKERS ?= 2
VENV := .venv
PY := $(VENV)/bin/python
BUN_VERSION := 1.4.4
BUN := .tools/node_modules/.bin/bun
export REFLEX_CHECK_LATEST_VERSION := false
export REFLEX_TELEMETRY_ENABLED := false
export PORT WORKERS

.PHONY: run run-cluster test install install-test browser migrate bootstrap catalogs i18n-update lint bench clean

run: install catalogs migrate bootstrap
	$(VENV)/bin/reflex run --env prod --frontend-port $(PORT) --backend-port $(PORT) --loglevel warning

# Needs ORDERTRACK_DATABASE_URL (PostgreSQL), REFLEX_REDIS_URL and ORDERTRACK_SECRET_KEY; checks
# them, migrates (one machine at a time), then serves with respawning workers (ordertrack/serve.py).
run-cluster: install catalogs
	$(PY) -m ordertrack.serve

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Python 3.11+ is required (PYTHON=$(PYTHON))"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

$(BUN):
	@command -v npm >/dev/null || { echo "npm (Node.js) is required to install bun"; exit 1; }
	mkdir -p .tools
	npm install --prefix .tools --no-audit --no-fund --silent bun@$(BUN_VERSION)

install: $(VENV)/.installed $(BUN)

# The message catalogs (ordertrack/locale/*.po) compiled for Python (.mo) and for pages
# (assets/ot_i18n.js); neither output is committed.
catalogs: install
	$(PY) -m ordertrack.i18n.build

# After changing user-visible text: every message id without a Russian translation goes into
# ordertrack/locale/ru/parts/untranslated.po; translate it there and move it into its area's part.
i18n-update: install
	$(PY) -m ordertrack.i18n.build --untranslated

migrate: install
	$(VENV)/bin/reflex db migrate

bootstrap: install
	$(PY) -m ordertrack.cli ensure-secret
	$(PY) -m ordertrack.cli bootstrap

browser:
	@if command -v chromium >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	else echo "Browser tests need Debian's chromium: run 'sudo apt-get install chromium' (or set ORDERTRACK_CHROMIUM=/path)"; exit 1; fi

install-test: $(VENV)/.installed-test $(BUN) browser

test: install-test catalogs
	$(VENV)/bin/lint-imports
	$(PY) -m pytest

lint: install-test
	$(VENV)/bin/ruff check ordertrack tests bench alembic
	$(VENV)/bin/lint-imports

bench: install-test
	$(PY) -m bench.board
	$(PY) -m bench.fanout
	$(PY) -m bench.sweep

clean:
	rm -rf .web .states $(VENV) .tools
