# The two commands of the README: `make run` and `make test`. `make help` lists every target.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
UV_VERSION := 0.13.9
export UV_PROJECT_ENVIRONMENT := $(VENV)

.DEFAULT_GOAL := help

.PHONY: help setup run serve test browser lint format messages migrate demo services clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "} {printf "  make %-10s %s\n", $$1, $$2}'

$(VENV)/.synced: pyproject.toml uv.lock
	@test -x $(PY) || python3 -m venv $(VENV)
	@test -x $(UV) || $(VENV)/bin/pip install --quiet "uv==$(UV_VERSION)"
	@# Bytecode at install: the machines set PYTHONDONTWRITEBYTECODE, and without .pyc files every
	@# Celery worker and web process spends tens of seconds importing statsforecast's dependencies.
	$(UV) sync --frozen --quiet --compile-bytecode
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

setup: $(VENV)/.synced node_modules/.installed messages ## Install Python and npm packages, compile messages

messages: $(VENV)/.synced ## Compile the translation catalogues
	@$(PY) manage.py compilemessages --ignore=.venv --ignore=node_modules -v0

migrate: setup ## Apply database migrations
	$(PY) manage.py migrate --noinput

demo: migrate ## Load the demo data once (idempotent)
	$(PY) manage.py seed_demo

run: demo ## Serve the portal with demo data on 127.0.0.1:8000, with a Celery worker and beat
	@bin/run-portal

serve: setup ## Serve in the production profile under gunicorn (collectstatic, migrate; WEB_CONCURRENCY workers)
	DJANGO_SETTINGS_MODULE=zaofeng.settings.production bin/release
	DJANGO_SETTINGS_MODULE=zaofeng.settings.production $(VENV)/bin/gunicorn --config gunicorn.conf.py

services: ## Start PostgreSQL and Redis if they are down
	@bin/ensure-services

browser: ## Install Debian's Chromium and CJK fonts for the browser tests, once
	@command -v chromium >/dev/null && dpkg -s fonts-noto-cjk >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium and fonts-noto-cjk for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; }

test: setup services browser ## Run the whole test suite against PostgreSQL, Redis and a headless Chromium, then the page suite on SQLite
	$(VENV)/bin/pytest
	@echo "The page-level suite again on SQLite, the embedded default of make run:"
	$(VENV)/bin/pytest --ds=zaofeng.settings.test_sqlite -m sqlite

lint: setup ## Check the code with ruff
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: setup ## Format the code with ruff
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean: ## Remove the virtual environment, node_modules and the SQLite database
	rm -rf $(VENV) node_modules db.sqlite3 staticfiles
