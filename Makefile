# Two entry points for a fresh machine (see README): `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8050

.PHONY: demo test install install-test browser redis demo-setup serve unit integration e2e bench clean-instance pilot docs

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed requirements-test.txt
	$(PIP) install --quiet -r requirements-test.txt
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

## Debian's chromium and chromium-driver for the browser tests (chromium also draws the meeting pack's figures),
## and poppler-utils (pdftoppm) for the pack tests, installed when missing.
browser:
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null || ! command -v pdftoppm >/dev/null; then \
	  echo "Installing Debian chromium, chromium-driver and poppler-utils"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver poppler-utils >/dev/null; \
	fi

## Debian's redis-server for the tests and benchmarks of the login limit shared across instances (each starts its own
## throwaway server on a free loopback port), installed when missing; fails loudly when it cannot be installed.
redis:
	@if ! command -v redis-server >/dev/null; then \
	  echo "Installing Debian redis-server"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null; \
	fi
	@command -v redis-server >/dev/null || { echo "redis-server is missing and could not be installed" >&2; exit 1; }

## Load the two demo cuts and create one demo user per role (passwords printed once).
demo-setup: install
	$(PY) -m dashboard setup-demo

serve: install
	@echo "Serving http://$(HOST):$(PORT)"
	DSMB_HOST=$(HOST) DSMB_PORT=$(PORT) $(PY) app.py

## Command 1: install everything and serve the demo.
demo: browser demo-setup serve     # Chromium draws the meeting pack's figures

## The second configured trial: the public CDISC pilot SDTM export (../shared/exports/pharmaverse-sdtm), three
## arms, loaded as delivered into its own instance folder and served on port 8051.
PILOT_ENV := DSMB_TRIAL_CONFIG=data/trials/CDISCPILOT01.toml DSMB_INSTANCE_PATH=instance/pilot
pilot: install browser
	$(PILOT_ENV) $(PY) -m dashboard setup-demo
	@echo "Serving http://$(HOST):8051"
	$(PILOT_ENV) DSMB_HOST=$(HOST) DSMB_PORT=8051 $(PY) app.py

## Command 2: install everything and run the whole test suite (browser and PostgreSQL tests included).
test: install-test browser redis
	DSMB_TEST_POSTGRES_URL=$$(bash .ci/postgres.sh) $(PY) -m pytest -n 2 --dist loadfile -q -p no:cacheprovider tests

unit: install-test
	$(PY) -m pytest -q tests/unit

integration: install-test redis
	$(PY) -m pytest -q tests/integration

e2e: install-test browser
	$(PY) -m pytest -q tests/e2e

## Speed and memory benchmarks (never part of the timed suite).
## Pages in Chromium (29 and 5,000 subjects, cold and warm) and 20 users at once (SQLite 2 workers, PostgreSQL 4).
bench: install-test redis
	$(PY) tests/bench/bench_ingest.py
	$(PY) tests/bench/bench_callbacks.py
	$(PY) tests/bench/bench_pack.py
	$(PY) tests/bench/bench_pages.py
	$(PY) tests/bench/bench_load.py
	$(PY) tests/bench/bench_load.py --workers 4 --database-url \
	  $$(DSMB_TEST_PG_PORT=54339 DSMB_TEST_PG_DIR=/tmp/dsmb-bench-pg bash .ci/postgres.sh)
	$(PY) tests/bench/bench_load.py --instances 2 --redis --database-url \
	  $$(DSMB_TEST_PG_PORT=54339 DSMB_TEST_PG_DIR=/tmp/dsmb-bench-pg bash .ci/postgres.sh)

## docs/displays.md from the display catalogue (a test fails when it is stale).
docs: install
	$(PY) -m dashboard displays docs

clean-instance:
	rm -rf instance
