# Roger — every target sets itself up on a fresh machine.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
# A Python >= 3.12: python3.13, python3.12, or the newest one pyenv has (when python3 is older).
PYTHON ?= $(shell for p in python3.13 python3.12 python3; do \
	  if command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; then echo $$p; exit 0; fi; \
	done; \
	root=$$(pyenv root 2>/dev/null || echo $$HOME/.pyenv); \
	for v in $$(ls -1 $$root/versions 2>/dev/null | grep -E '^3\.(1[2-9]|[2-9][0-9])\.[0-9]+$$' | sort -t. -k2,2nr -k3,3nr); do \
	  echo $$root/versions/$$v/bin/python3; exit 0; \
	done)
# Tests run on PostgreSQL, as production does (127.0.0.1:5432, trust auth, on every machine); DATABASE_URL overrides.
TEST_DATABASE_URL := $(or $(DATABASE_URL),postgres://postgres@127.0.0.1:5432/roger)
PORT ?= 8000
SANDBOX_PORT ?= 8765
SANDBOX := http://127.0.0.1:$(SANDBOX_PORT)
# The demo talks to the ERP sandbox instead of Xero's real hosts (same paths below each prefix).
DEMO_ENV := ROGER_SANDBOX_URL=$(SANDBOX) SITE_URL=http://127.0.0.1:$(PORT) \
	XERO_API_URL=$(SANDBOX)/xero XERO_IDENTITY_URL=$(SANDBOX)/xero/identity XERO_LOGIN_URL=$(SANDBOX)/xero/login \
	XERO_GO_URL=$(SANDBOX)/xero/go XERO_CLIENT_ID=roger-demo XERO_CLIENT_SECRET=roger-demo-secret \
	ECONOMIC_API_URL=$(SANDBOX)/economic ECONOMIC_APIS_URL=$(SANDBOX)/economic ECONOMIC_APP_URL=$(SANDBOX)/economic/app

.PHONY: help install run test contract browser lint bench messages clean

help:
	@echo "make run      — the demo: SQLite, demo data, web on http://127.0.0.1:$(PORT) + worker + ERP sandbox"
	@echo "make test     — the test suite on PostgreSQL (127.0.0.1:5432 unless DATABASE_URL says otherwise)"
	@echo "make contract — conformance: connector requests and sandbox responses vs Xero's and e-conomic's published descriptions"
	@echo "make browser  — browser flows: Playwright + Debian's chromium, on PostgreSQL"
	@echo "make lint     — ruff + import-linter contracts"
	@echo "make bench    — performance figures as JSON lines (PostgreSQL)"
	@echo "make messages — update the Danish catalogue from the code and compile it (needs gettext)"

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "No Python >= 3.12 found (tried python3.13, python3.12, pyenv)"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/python pyproject.toml requirements.lock
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[dev]'
	touch $@

install: $(VENV)/.installed

run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput -v0
	ROGER_PORT=$(PORT) SANDBOX_PORT=$(SANDBOX_PORT) $(DEMO_ENV) $(BIN)/honcho start -f Procfile

test: install
	DATABASE_URL=$(TEST_DATABASE_URL) $(BIN)/pytest -m "not contract and not browser" $(PYTEST_ARGS)

contract: install
	DATABASE_URL=$(TEST_DATABASE_URL) ROGER_XERO_OPENAPI=$${ROGER_XERO_OPENAPI:-$(abspath ../shared/specs/xero_accounting.yaml)} \
	ROGER_ECONOMIC_SPECS=$${ROGER_ECONOMIC_SPECS:-$(abspath ../shared/specs/economic)} $(BIN)/pytest -m contract $(PYTEST_ARGS)

browser: install
	@test -x /usr/bin/chromium || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }
	DATABASE_URL=$(TEST_DATABASE_URL) $(BIN)/pytest -m browser $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports

bench: install
	$(BIN)/python -m bench $(FIGURES)

# The compiled catalogue (locale/*/LC_MESSAGES/django.mo) is committed: running Roger needs no gettext tools;
# changing its texts does (apt-get install -y gettext).
messages: install
	@command -v msgfmt >/dev/null || { echo "make messages needs gettext: apt-get install -y gettext"; exit 1; }
	$(BIN)/python manage.py makemessages -l da --no-obsolete --ignore=.venv --ignore=tests --ignore=bench \
		--ignore='integrations/sandbox/*' --ignore=staticfiles --ignore=screenshots
	$(BIN)/python manage.py compilemessages -l da --ignore=.venv

clean:
	rm -rf $(VENV) staticfiles media roger.sqlite3* .sandbox-state.sqlite3*
