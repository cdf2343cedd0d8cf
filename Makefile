# Two commands a newcomer needs: `make run` and `make test`. Both set up everything
# on a fresh machine (virtualenv, dependencies, database) first.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
# axe-core for the browser tests' accessibility checks, from the npm registry.
NODE_TOOLS := node_modules/.installed
export DJANGO_ALLOW_ASYNC_UNSAFE := true

.PHONY: run test test-production setup lint format bench loadtest screenshots clean

$(INSTALLED): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(INSTALLED)

$(NODE_TOOLS): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_TOOLS)

setup: $(INSTALLED)
	mkdir -p var
	@# The catalogues need gettext's msgfmt; without it the pages stay in English
	@# (the test suite's catalogue tests then say so).
	@if command -v msgfmt >/dev/null 2>&1; then \
		$(BIN)/python manage.py compilemessages --ignore=$(VENV) --ignore=var --ignore=node_modules; \
	else echo "gettext's msgfmt not found: install gettext for Ukrainian and Russian"; fi
	$(BIN)/python manage.py migrate --noinput

run: setup
	$(BIN)/python manage.py demo_data
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho start --procfile Procfile

test: setup $(NODE_TOOLS)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/pytest -m "not production" $(PYTEST_ARGS)
	$(MAKE) --no-print-directory test-production

# The production shape, a stage of its own: gunicorn, workers and beat from a
# virtualenv of requirements.txt alone (built once under var/runtime/, again only
# when requirements.txt changes), on PostgreSQL, Redis and an S3 API.
test-production: setup
	$(BIN)/python -m tests.production.runtime
	$(BIN)/pytest -m production -p no:cacheprovider tests/production

lint:
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# The README's screenshots: the main journey in Ukrainian and Russian, as a phone
# shows it, taken by the browser test run.
screenshots: setup $(NODE_TOOLS)
	$(BIN)/pytest -q -p no:cacheprovider tests/e2e/test_journey_languages.py
	mkdir -p docs/screenshots
	cp var/screenshots/uk-*.png var/screenshots/ru-*.png docs/screenshots/

bench: setup
	@for script in bench/bench_*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

# Owners and integrations (bench/locustfile.py) on gunicorn, a worker and beat with
# their own PostgreSQL and Redis, restarted mid-run; figures in BENCHMARKS.md.
loadtest: setup
	$(BIN)/python bench/loadtest.py

clean:
	rm -rf var staticfiles .pytest_cache .ruff_cache node_modules
