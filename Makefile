# Dekiru: `make run` serves the app with demo data; `make test` runs every test.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
# `make run` is for working on this machine: the development key signs its sessions, which
# the app allows only when DEKIRU_ENV says development (app/config.py, check_secret_key).
FLASK := DEKIRU_ENV=development $(BIN)/flask --app app

.PHONY: setup run test test-clock mutation lint lint-js typecheck format translations-extract clean chromium caddy

setup: $(VENV)/.installed static/vendor/.copied translations/.compiled

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Front-end files are served from static/vendor; they come from npm, never from a CDN.
# The check-in page's service worker loads these Workbox modules (app/checkin/worker.py).
WORKBOX_MODULES := core routing strategies precaching expiration cacheable-response
static/vendor/.copied: node_modules/.installed
	mkdir -p static/vendor
	cp node_modules/@digital-go-jp/design-tokens/dist/tokens.css static/vendor/tokens.css
	cp node_modules/zxing-wasm/dist/iife/reader/index.js static/vendor/zxing-reader.js
	cp node_modules/zxing-wasm/dist/reader/zxing_reader.wasm static/vendor/zxing_reader.wasm
	cp node_modules/idb/build/index.js static/vendor/idb.js
	mkdir -p static/vendor/workbox
	cp node_modules/workbox-sw/build/workbox-sw.js static/vendor/workbox/workbox-sw.js
	for module in $(WORKBOX_MODULES); do \
	  cp node_modules/workbox-$$module/build/workbox-$$module.prod.js static/vendor/workbox/; \
	done
	touch $@

translations/.compiled: $(VENV)/.installed $(wildcard translations/*/LC_MESSAGES/messages.po)
	$(BIN)/pybabel -q compile -d translations
	touch $@

# The demo behaves as production does: a worker beside the web server runs the background jobs
# (Sheets syncs, the schedule); it stops with the server (Ctrl-C).
run: setup
	$(FLASK) init-db
	$(FLASK) load-curricula
	$(FLASK) demo-data --if-empty
	$(FLASK) worker & worker=$$!; trap 'kill -INT $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	  $(FLASK) run --host 127.0.0.1 --port $(PORT)

# The end-to-end tests drive Debian's Chromium; install it when missing and we may (root),
# with a Japanese font: without one, Japanese text has no width and links fail the
# accessibility check's tap-target size, as they never would on a user's machine.
chromium:
	{ command -v chromium >/dev/null && fc-list :lang=ja | grep -q .; } || { [ "$$(id -u)" = 0 ] && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-ipafont-gothic; } || true

# The production-stack tests (tests/stack) put Debian's Caddy in front of gunicorn; install it
# when missing and we may (root). Debian's package starts its own service on port 80 where
# systemd runs; the tests start their own Caddy on high ports either way.
caddy:
	command -v caddy >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq caddy; } || true

# Tests run on every core (pytest-xdist); a module's tests stay on one worker.
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
PYTEST := $(BIN)/pytest -q -p no:cacheprovider -n $(JOBS) --dist loadfile

# The app's day is Japan's; CI's clock is UTC. `make test` also runs the tests at 00:30 in
# Japan on 1 April (15:30 UTC on 31 March: another date, and another 年度, than the machine's),
# every test starting at that instant; `make test-clock CLOCK=2027-03-31T23:59:00+09:00`
# runs them at any other (on SQLite; the PostgreSQL run is the same tests again).
# Here the clock run leaves out the browser tests and Schemathesis, the slowest (every app
# module they reach is run by the others too), and the tests that start servers or workers of
# their own (the production stack, the worker process: those keep the machine's clock while
# the test's is moved, so their times disagree), to keep CI short; `make test-clock
# CLOCK_TESTS=tests` runs the whole suite at that instant.
CLOCK ?= 2027-04-01T00:30:00+09:00
CLOCK_TESTS ?= tests --ignore=tests/e2e --ignore=tests/api/test_schemathesis.py --ignore=tests/stack \
  --ignore=tests/jobs/test_worker_process.py

test: setup chromium caddy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(MAKE) --no-print-directory typecheck
	$(MAKE) --no-print-directory lint-js
	$(PYTEST)
	$(MAKE) --no-print-directory test-clock

test-clock: setup chromium
	DEKIRU_TEST_CLOCK=$(CLOCK) TEST_DATABASE_URL= $(PYTEST) $(CLOCK_TESTS)

# Mutation testing of the rule modules ([tool.dekiru.mutation] in pyproject.toml): slow, so
# not part of `make test`. Prints each module's score and its surviving mutants; fails below
# the aim. `make mutation MODULE=app/people/registration.py` runs one module;
# `make mutation ARGS=--write` records the run in BENCHMARKS.md.
mutation: setup
	$(BIN)/python -m bench.mutation $(if $(MODULE),--module $(MODULE)) --jobs $(JOBS) $(ARGS)

lint: lint-js
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(MAKE) --no-print-directory typecheck

# mypy over the files and with the settings of [tool.mypy] in pyproject.toml: strict for the
# services, schemas and models, the base level elsewhere.
typecheck: $(VENV)/.installed
	$(BIN)/mypy

# Biome (biome.json) lints and formats static/js; a warning fails too, so that CI does not
# let findings pile up. `make format` writes its safe fixes.
BIOME := node_modules/.bin/biome
lint-js: node_modules/.installed
	$(BIOME) check --error-on-warnings static/js

format: node_modules/.installed
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .
	$(BIOME) check --write static/js

# Refresh the message catalogue after adding strings: extract, then merge into each language.
translations-extract: $(VENV)/.installed
	$(BIN)/pybabel -q extract -F babel.cfg -k _l -k lazy_gettext --sort-by-file -o translations/messages.pot .
	$(BIN)/pybabel -q update -i translations/messages.pot -d translations --no-fuzzy-matching

clean:
	rm -rf $(VENV) node_modules static/vendor translations/.compiled
