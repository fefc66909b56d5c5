# The two commands of the README: `make run` and `make test`. Everything they need is installed here.
SHELL := /bin/bash
.DEFAULT_GOAL := run
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell sha1sum pyproject.toml | cut -c1-12)

# Tests use the machine's PostgreSQL and Redis unless told otherwise (DB 15 keeps dev queues apart).
TEST_DATABASE_URL ?= $(or $(DATABASE_URL),postgres://postgres@127.0.0.1:5432/test)
TEST_REDIS_URL ?= $(or $(REDIS_URL),redis://127.0.0.1:6379/15)

.PHONY: install run test lint types migrations-check pytest chromium bench clean

$(STAMP): pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	@$(PY) -m pip install -q --upgrade pip uv
	@$(VENV)/bin/uv pip install -q --python $(PY) -r pyproject.toml --extra test
	@rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP)

run: install
	@$(PY) manage.py migrate --no-input -v0
	@$(PY) manage.py load_seeds
	@$(PY) manage.py create_demo_users
	@$(PY) scripts/run.py

chromium:
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

types: install
	$(VENV)/bin/mypy .

migrations-check: install
	$(PY) manage.py makemigrations --check --dry-run

pytest: install chromium
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(PY) -m pytest

test: lint types migrations-check pytest

# Benchmarks, not tests: each prints ratios against a baseline measured in the same run and
# writes its section of bench/RESULTS.md. The scan bench needs its own PostgreSQL database.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/bench_corpus
BENCH_DATABASES := bench_corpus bench_feeds bench_api bench_load
bench: install
	$(PY) bench/extraction_eval.py
	@for db in $(BENCH_DATABASES); do psql -h 127.0.0.1 -U postgres -lqt | cut -d'|' -f1 | grep -qw $$db || createdb -h 127.0.0.1 -U postgres $$db; done
	DATABASE_URL=$(BENCH_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(PY) bench/scan.py --packed 100000
	DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_feeds REDIS_URL=$(TEST_REDIS_URL) $(PY) bench/feeds.py
	DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_api REDIS_URL=$(TEST_REDIS_URL) $(PY) bench/api.py
	DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_load $(PY) bench/load.py

clean:
	rm -rf $(VENV) var/*.sqlite3 var/celerybeat-schedule*
