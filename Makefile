# Two commands matter: `make run` and `make test`. Both create .venv and install on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-dev
# `make test` also installs the openedx extra (Open edX's LTI platform, heavy, test-only).
TEST_STAMP := $(VENV)/.installed-test
# pytest-xdist workers for the suite (2: about twice as fast on a 2-core machine); 0 runs the
# tests in pytest's own process (for pdb, -s). Each worker has its own test database and Redis
# database (tests/conftest.py); loadgroup keeps the Open edX tests in one worker.
PYTEST_WORKERS ?= 2
XDIST := -n $(PYTEST_WORKERS) --dist loadgroup

.PHONY: run test test-fast bench faults faults-short lint typecheck format worker clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Agora needs Python 3.11+; set PYTHON=python3.12 (or similar)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev,openedx]'
	@touch $(STAMP) $@

## Serve Agora on http://127.0.0.1:8000 with embedded PostgreSQL + Redis, the demo course and dev LMS.
run: $(STAMP)
	AGORA_DEV=$${AGORA_DEV:-1} $(BIN)/agora serve --worker --demo

## Run the job worker on its own (same settings / data directory as `make run`).
worker: $(STAMP)
	$(BIN)/agora worker

## Run the whole test suite against real PostgreSQL and Redis (embedded unless AGORA_TEST_* set):
## everything but the browser tests on $(PYTEST_WORKERS) workers, then the browser tests alone
## (each runs a server and Chromium of its own). Exit 5 is pytest's "nothing selected".
test: $(TEST_STAMP)
	$(BIN)/python -m pytest -m "not e2e" $(XDIST) $(PYTEST_ARGS) || [ $$? -eq 5 ]
	$(BIN)/python -m pytest -m e2e $(PYTEST_ARGS) || [ $$? -eq 5 ]

## The inner loop: everything but the browser tests (marker e2e).
test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not e2e" $(XDIST) $(PYTEST_ARGS)

## Benchmarks at MOOC scale (not part of the test run).
bench: $(STAMP)
	$(BIN)/python -m bench

## Fault injection (bench/faults): app and worker under 16 clients while Redis is killed,
## PostgreSQL restarted 10 times (fast and immediate), the worker and the app killed; exits 1 if
## an acknowledged write or notification is lost or duplicated or an answer is a 500 (~3 min).
faults: $(STAMP)
	$(BIN)/python -m bench.faults $(FAULTS_ARGS)

## The short run (under a minute) that `make test` also runs (tests/bench/test_faults.py).
faults-short: $(STAMP)
	$(BIN)/python -m bench.faults --short

## ruff (lint and format) and mypy (strict on agora, forum, peerreview; see pyproject.toml).
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

typecheck: $(STAMP)
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
