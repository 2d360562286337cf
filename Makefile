# Two commands for a new user: `make run` and `make test`. Everything else is here for them.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
# Every package's exact version, for every supported Python: installs are the same on every machine and day.
CONSTRAINTS := requirements/constraints.txt
export RECOVERY_DATABASE_URL ?= sqlite:///var/recovery.db

.PHONY: install lock db run test lint typecheck browser tools unit bench clean

# pip first, so the second line has the pinned pip's --build-constraint (which pins setuptools too).
$(STAMP): pyproject.toml $(CONSTRAINTS)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -c $(CONSTRAINTS) pip
	$(BIN)/python -m pip install --quiet -c $(CONSTRAINTS) --build-constraint $(CONSTRAINTS) -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# After a change to pyproject's dependencies. Pins already in the file are kept where they still fit;
# `make lock LOCK_FLAGS=--upgrade` moves every package to its newest allowed version.
# Not after `install`: a pyproject change the old pins cannot meet must still be lockable.
lock:  ## rewrite requirements/constraints.txt (uv pip compile, one file for every Python >= 3.11)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -c $(CONSTRAINTS) uv
	$(BIN)/uv pip compile pyproject.toml requirements/tools.in --extra dev --universal --python-version 3.11 \
		--custom-compile-command "make lock" --quiet $(LOCK_FLAGS) -o $(CONSTRAINTS)

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

# The browser tests drive Debian's Chromium through its ChromeDriver (tests/browser). As root this installs
# them when missing; otherwise it says the command and goes on: those tests skip, or fail with CI=true.
BROWSER_PACKAGES := chromium chromium-driver
browser:  ## Chromium and ChromeDriver at /usr/bin for the browser tests
	@if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q $(BROWSER_PACKAGES) \
		|| { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $(BROWSER_PACKAGES); } \
		|| echo "warning: could not install $(BROWSER_PACKAGES); the browser tests will skip (or fail with CI=true)"; \
	else echo "note: the browser tests need Chromium; run: sudo apt-get install -y $(BROWSER_PACKAGES)"; fi

# The load generator the HTTP benchmarks use (bench_webhook.py, bench_reports.py's dashboard part); as browser above.
tools:  ## wrk for the HTTP benchmarks
	@if command -v wrk >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk \
		|| { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk; } \
		|| echo "warning: could not install wrk; the HTTP benchmarks will stop and say so"; \
	else echo "note: the HTTP benchmarks need wrk; run: sudo apt-get install -y wrk"; fi

unit: install browser
	$(BIN)/pytest --cov --cov-report=term --cov-fail-under=$(COVERAGE_MIN)

COVERAGE_MIN ?= 90

test: lint typecheck unit  ## the whole suite: format, lint, types, architecture, tests

bench: install tools  ## every benchmark; each prints its figures and ratios
	for b in benchmarks/bench_*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .coverage .coverage.* .hypothesis
