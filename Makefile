# mortgage-risk: `make run` sets up and runs the demo; `make test` sets up and runs every check.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO_LOANS ?= 20000
DEMO_SEED  ?= 42

.PHONY: setup run test lint typecheck contracts pytest bench clean system-deps

setup: $(STAMP) system-deps

# The virtual environment, rebuilt when the dependency list or the lock changes.
$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	touch $(STAMP)

# Packages from Debian that the tests need: PostgreSQL server binaries.
system-deps:
	@bash scripts/system-deps.sh

run: setup
	$(BIN)/mortgage-risk db upgrade
	$(BIN)/mortgage-risk generate --loans $(DEMO_LOANS) --seed $(DEMO_SEED) --reuse
	$(BIN)/mortgage-risk monitor run
	$(BIN)/mortgage-risk serve

lint: $(STAMP)
	$(BIN)/ruff check src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy src/mortgage_risk

contracts: $(STAMP)
	$(BIN)/lint-imports

pytest: setup
	$(BIN)/pytest -q -n 2 --dist loadfile

test: lint typecheck contracts pytest

bench: setup
	$(BIN)/python bench/bench_generate.py --loans 1000000 --seed 7

include bench/peers.mk

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
