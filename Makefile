# The two commands: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
FLASK := $(VENV)/bin/flask --app wsgi
CHROMIUM ?= /usr/bin/chromium
# Set TEST_DB_SUFFIX to give concurrent runs on one machine their own databases.
TEST_DB_SUFFIX ?=
export TEST_DB_SUFFIX
PG_TEST_URL ?= postgresql://postgres@127.0.0.1:5432/alphasite_test$(TEST_DB_SUFFIX)
PG_BROWSER_TEST_URL ?= postgresql://postgres@127.0.0.1:5432/alphasite_test_browser$(TEST_DB_SUFFIX)
PG_MIGRATIONS_TEST_URL ?= postgresql://postgres@127.0.0.1:5432/alphasite_test_migrations$(TEST_DB_SUFFIX)
REDIS_TEST_URL ?= redis://127.0.0.1:6379/15

# The tests run in PYTEST_WORKERS processes (pytest-xdist, one file per worker
# at a time: module fixtures such as sandboxes and live sites stay whole). The
# browser flows spend most of their time waiting on Chromium, so they run two
# files at a time as well, after the unit and integration tests.
PYTEST_WORKERS ?= 2
PARALLEL := $(if $(filter-out 0 1,$(PYTEST_WORKERS)),-n $(PYTEST_WORKERS) --dist loadfile,)

# The sandboxes' own suites never touch the app's database or queue, so the
# PostgreSQL + Redis run leaves them out rather than repeat them word for word.
SANDBOX_ONLY_TESTS := tests/sandbox tests/sandbox_stripe

.PHONY: run test test-sqlite test-postgres test-browser-postgres install install-dev chromium clean

$(VENV)/.runtime: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt $(VENV)/.runtime
	$(PIP) install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.runtime
install-dev: $(VENV)/.dev

run: $(VENV)/.runtime
	$(FLASK) db upgrade
	$(FLASK) seed-demo
	$(PY) -m app.devserver

chromium:
	@test -x $(CHROMIUM) || { echo "Installing Debian's chromium for the browser tests"; \
		(apt-get update -qq || true) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
	@test -x $(CHROMIUM)

test: $(VENV)/.dev chromium
	$(MAKE) --no-print-directory test-sqlite
	@if $(PY) scripts/test_services.py; then \
		$(MAKE) --no-print-directory test-postgres; \
	else echo "PostgreSQL or Redis unreachable: the PostgreSQL + Redis run was skipped"; fi

test-sqlite: $(VENV)/.dev
	@echo "== tests on SQLite, jobs run eagerly =="
	env -u DATABASE_URL -u REDIS_URL $(PY) -m pytest -p no:cacheprovider $(PARALLEL) --ignore=tests/browser
	env -u DATABASE_URL -u REDIS_URL $(PY) -m pytest -p no:cacheprovider $(PARALLEL) tests/browser

test-postgres: $(VENV)/.dev
	@echo "== tests on PostgreSQL with RQ on Redis =="
	$(PY) scripts/test_services.py
	env -u DATABASE_URL -u REDIS_URL TEST_DATABASE_URL=$(PG_TEST_URL) TEST_BROWSER_DATABASE_URL=$(PG_BROWSER_TEST_URL) \
		TEST_MIGRATIONS_DATABASE_URL=$(PG_MIGRATIONS_TEST_URL) TEST_REDIS_URL=$(REDIS_TEST_URL) \
		$(PY) -m pytest -p no:cacheprovider $(PARALLEL) --ignore=tests/browser $(SANDBOX_ONLY_TESTS:%=--ignore=%)

# The browser flows again on PostgreSQL; left out of `make test` to keep it
# under 15 minutes (the flows ran on SQLite, the data layer on PostgreSQL above).
test-browser-postgres: $(VENV)/.dev chromium
	$(PY) scripts/test_services.py
	env -u DATABASE_URL -u REDIS_URL TEST_DATABASE_URL=$(PG_TEST_URL) TEST_BROWSER_DATABASE_URL=$(PG_BROWSER_TEST_URL) \
		TEST_MIGRATIONS_DATABASE_URL=$(PG_MIGRATIONS_TEST_URL) TEST_REDIS_URL=$(REDIS_TEST_URL) \
		$(PY) -m pytest -p no:cacheprovider tests/browser

clean:
	rm -rf $(VENV) instance tests/artifacts
