# Two commands for a new user: `make run` and `make test`. Everything else is here for them.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
export RECOVERY_DATABASE_URL ?= sqlite:///var/recovery.db

.PHONY: install db run test lint typecheck unit bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

db: install  ## create or upgrade the embedded SQLite database under var/
	$(BIN)/recovery init

run: db  ## set everything up and run the daemon on SQLite (scheduler + webhook; Ctrl-C stops it cleanly)
	$(BIN)/recovery daemon

lint: install
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/ruff check src tests benchmarks

typecheck: install
	$(BIN)/mypy
	$(BIN)/lint-imports

unit: install
	$(BIN)/pytest --cov --cov-report=term --cov-fail-under=$(COVERAGE_MIN)

COVERAGE_MIN ?= 90

test: lint typecheck unit  ## the whole suite: format, lint, types, architecture, tests

bench: install  ## every benchmark; each prints its figures and ratios
	for b in benchmarks/bench_*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .coverage .coverage.* .hypothesis
