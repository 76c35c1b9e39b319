# The index of commands. `make` alone lists them.
#
#   make run    set everything up on the embedded default and start web + worker + beat
#   make test   the whole test suite, on SQLite and on PostgreSQL
#
# Nothing here needs root, GNU gettext or a running server; `make run` needs only Python 3.11.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
# -qq hides pip's chatter (and its notes about optional local package folders); errors still show.
PIP := $(PY) -m pip --quiet --quiet
DATA_DIR ?= var
WEB_PORT ?= 8000
export WEB_PORT

.PHONY: help
help: ## list the commands
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

# --- Environment ------------------------------------------------------------------------------------

$(PY):
	@echo "Creating the virtual environment $(VENV)/ with $(PYTHON) …"
	@$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); \
		echo "Could not create $(VENV)/. On Debian/Ubuntu: apt-get install python3-venv"; exit 1; }

# Stamp files: reinstall only when a lock file changed, so repeated `make run`/`make test` stay fast.
$(VENV)/.installed-runtime: requirements/lock.txt | $(PY)
	@echo "Installing the runtime dependencies from requirements/lock.txt …"
	$(PIP) install -r requirements/lock.txt
	$(PY) -m pip check
	@touch $@

$(VENV)/.installed-test: requirements/lock.txt requirements/test-lock.txt | $(PY)
	@echo "Installing the runtime and test dependencies from requirements/test-lock.txt …"
	$(PIP) install -r requirements/test-lock.txt
	$(PY) -m pip check
	@touch $@ $(VENV)/.installed-runtime

.PHONY: install install-test
install: $(VENV)/.installed-runtime ## create .venv and install the runtime dependencies
install-test: $(VENV)/.installed-test ## … and the test and lint tools

# axe-core for the browser tests. Without npm (a laptop) the browser tests skip; CI installs it.
node_modules/axe-core/axe.min.js: package.json package-lock.json
	@if command -v npm >/dev/null; then \
		echo "Installing axe-core (npm ci) …"; npm ci --no-audit --no-fund --loglevel=error; \
		touch $@; \
	else \
		echo "npm not found: the browser tests will be skipped (CI installs it)."; \
	fi

$(DATA_DIR)/secret_key: | $(PY)
	@mkdir -p $(DATA_DIR)
	@echo "Writing a development SECRET_KEY to $@ (never used in production)."
	@umask 077 && $(PY) -c 'import secrets; print(secrets.token_urlsafe(50))' > $@

.PHONY: translations
translations: | $(VENV)/.installed-runtime ## compile locale/*.po to .mo with Babel (no gettext needed)
	@$(PY) bin/compile_translations.py

.PHONY: lock
lock: ## re-resolve requirements/*.txt from pyproject.toml (after changing a dependency)
	bin/lock

# --- Running ----------------------------------------------------------------------------------------

.PHONY: migrate
migrate: $(VENV)/.installed-runtime ## apply database migrations
	$(PY) manage.py migrate --no-input

.PHONY: demo
demo: migrate ## load the demo network (idempotent; every password demo1234)
	$(PY) manage.py demo_network

.PHONY: run
run: $(VENV)/.installed-runtime $(DATA_DIR)/secret_key translations demo ## install, migrate, load demo data, start web + worker + beat
	@echo
	@echo "────────────────────────────────────────────────────────────────────────"
	@echo "  Ressourcennetz runs at  http://127.0.0.1:$(WEB_PORT)/"
	@echo "  Demo logins (password demo1234): koordination@example.org (coordinator),"
	@echo "    martin.schulze@example.org (manager, Hafenstraße), lena.hoffmann@example.org (member)"
	@echo "  E-mails are written to $(DATA_DIR)/mail/   ·   Ctrl-C stops web, worker and beat"
	@echo "────────────────────────────────────────────────────────────────────────"
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho --procfile Procfile start

.PHONY: superuser
superuser: migrate ## create an administrator account
	$(PY) manage.py createsuperuser

# --- Quality ----------------------------------------------------------------------------------------

.PHONY: test
test: $(VENV)/.installed-test translations node_modules/axe-core/axe.min.js ## run the whole suite on SQLite and PostgreSQL
	bin/test $(ARGS)

.PHONY: load-test
load-test: $(VENV)/.installed-test ## load test on PostgreSQL + Redis (docs/load-test.md; ARGS="--duration 120 --users 32")
	$(PY) bench/load/run.py $(ARGS)

.PHONY: bench
bench: $(VENV)/.installed-runtime ## benchmark on PostgreSQL + Redis, JSON to var/bench/latest.json (docs/benchmarks.md; ARGS="--bookings 100000")
	$(PY) bench/run.py $(ARGS)

.PHONY: lint
lint: $(VENV)/.installed-test ## ruff check + ruff format --check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

.PHONY: fmt
fmt: $(VENV)/.installed-test ## format and auto-fix with ruff
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

.PHONY: messages
messages: $(VENV)/.installed-runtime ## extract gettext strings to locale/{de,en} (needs GNU gettext)
	@command -v xgettext >/dev/null || { echo "make messages needs GNU gettext: apt-get install gettext"; exit 1; }
	$(PY) manage.py makemessages -l de -l en --no-obsolete \
		--ignore=.venv --ignore=node_modules --ignore=var --ignore=tests
	@$(MAKE) --no-print-directory translations

.PHONY: ci
ci: ## what CI runs (installs system packages: needs root)
	CI=true bash .ci/run
