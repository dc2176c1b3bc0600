# The README's two commands: `make run` and `make test` (plus `make bench`).
# Both set a fresh Debian machine up from nothing: system packages when
# missing, Python packages in .venv, bun from the npm registry in .tools.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
TOOLS := .tools
BUN_VERSION := 1.4.4
BUN := $(TOOLS)/node_modules/.bin/bun
PORTAL_PORT ?= 3000
PORTAL_BACKEND_PORT ?= 8000
SYSTEM_PACKAGES := poppler-utils:pdfsig chromium:chromium libnss3-tools:certutil nginx-light:/usr/sbin/nginx

# Reflex 0.10 needs bun >= 1.4.4 or Node >= 22.22; this machine has Node 20,
# so Reflex uses the bun we install from the npm registry.
export REFLEX_USE_SYSTEM_BUN := 1
export PATH := $(CURDIR)/$(TOOLS)/node_modules/.bin:$(PATH)
export PORTAL_PORT

.PHONY: run dev test bench soak lighthouse setup system-packages lint clean messages

# Loopback unless PORTAL_HOST says otherwise (PORTAL_HOST=0.0.0.0 make run).
# .states/ held pickled tab state in earlier versions: state now lives in memory.
run: setup
	rm -rf .states
	$(BIN)/customer-portal init
	$(BIN)/customer-portal seed-demo
	@echo "Serving the portal at http://localhost:$(PORTAL_PORT)"
	$(BIN)/reflex run --env prod --single-port

# Hot reload while you work: Reflex's dev server serves the pages on PORTAL_PORT
# and reloads them when a .py file is saved; the backend (events, forms, links,
# downloads) listens on PORTAL_BACKEND_PORT. See docs/extending.md.
dev: setup
	$(BIN)/customer-portal init
	$(BIN)/customer-portal seed-demo
	@echo "Serving the portal with hot reload at http://localhost:$(PORTAL_PORT)"
	PORTAL_BACKEND_PORT=$(PORTAL_BACKEND_PORT) $(BIN)/reflex run --env dev

# The catalogs (customer_portal/i18n): the template from every marked string
# (_, N_, t, tn, ngettext, the email templates' trans), then each language's
# catalog updated from it; a new string shows up there untranslated, and the
# catalog test fails until a translator fills it in. A new language:
# `$(BIN)/pybabel init -D messages -i customer_portal/i18n/messages.pot -d customer_portal/i18n/locale -l ca`.
MESSAGE_KEYWORDS := -k t -k tn:1,2 -k N_
messages: setup
	$(BIN)/pybabel extract -F customer_portal/i18n/babel.cfg $(MESSAGE_KEYWORDS) --no-location \
		--sort-output --project "Link Customer Portal" -w 100 -o customer_portal/i18n/messages.pot .
	$(BIN)/pybabel update -D messages -i customer_portal/i18n/messages.pot \
		-d customer_portal/i18n/locale --no-fuzzy-matching --ignore-obsolete -w 100

# Unit and integration tests on two workers, then the browser tests in one
# process, so a single portal is built and started for them.
test: setup
	$(BIN)/pytest -p no:cacheprovider -n 2 -m "not e2e" $(PYTEST_ARGS)
	$(BIN)/pytest -p no:cacheprovider -m e2e $(PYTEST_ARGS)

bench: setup
	$(BIN)/python -m bench
	$(BIN)/python -m bench.publishing
	$(BIN)/python -m bench.pages
	$(BIN)/python -m bench.queries
	$(BIN)/python -m bench.email
	$(BIN)/python -m bench.downloads
	$(BIN)/python -m bench.websockets
	BENCH_WS_WORKERS=2 BENCH_WS_ONLY=5 $(BIN)/python -m bench.websockets

# Not in CI: 100 customers for 10 minutes against the production mode (README,
# Despliegue): zero errors and flat memory per worker, or exit 1. SOAK_SECONDS=120 for a short one.
soak: setup
	$(BIN)/python -m bench.soak

# Lighthouse 12 (13 needs Node 22) on /, /entrar, /facturas and an invoice, on
# a phone and a desktop, against Debian's Chromium. Scores, not a gate.
LIGHTHOUSE := $(TOOLS)/lighthouse/node_modules/.bin/lighthouse
lighthouse: setup $(LIGHTHOUSE)
	CHROME_PATH=/usr/bin/chromium $(BIN)/python -m bench.lighthouse

$(LIGHTHOUSE):
	npm install --silent --no-audit --no-fund --prefix $(TOOLS)/lighthouse lighthouse@12

# Style and docstrings (ruff, D rules), formatting, and every imported package
# declared in pyproject.toml (deptry). CI runs it before the tests.
lint: setup
	$(BIN)/ruff check customer_portal tests bench rxconfig.py
	$(BIN)/ruff format --check customer_portal tests bench rxconfig.py
	$(BIN)/deptry .

setup: system-packages $(VENV)/.installed $(BUN)

# Install only what is missing; sudo only when not root.
system-packages:
	@missing=""; for entry in $(SYSTEM_PACKAGES); do \
	  command -v "$${entry#*:}" >/dev/null 2>&1 || missing="$$missing $${entry%%:*}"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing system packages:$$missing"; \
	  sudo=""; [ "$$(id -u)" -eq 0 ] || sudo="sudo"; \
	  $$sudo apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends $$missing; \
	fi

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@

$(BUN):
	npm install --silent --no-audit --no-fund --prefix $(TOOLS) bun@$(BUN_VERSION)
	$(BUN) --version

clean:
	rm -rf .web .web-e2e .web-e2e-redis .web-e2e-prod .states $(VENV) $(TOOLS)
