# Every target creates or reuses the local virtual environment from the project's own files.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test lint layers format bench sandbox clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)  ## the main job on the built-in sandbox
	$(BIN)/cregis-notebook demo

test: $(STAMP)  ## lint, type-check, the import contracts, then the whole test suite
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

layers: $(STAMP)  ## the import contracts of pyproject.toml: layers, the sandbox's seam, no circles
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(STAMP)  ## benchmarks: each prints a ratio against its baseline
	for b in benchmarks/bench_*.py; do $(BIN)/python $$b || exit 1; done

sandbox: $(STAMP)  ## serve the sandbox over HTTP on 127.0.0.1:8600
	$(BIN)/cregis-notebook sandbox --host 127.0.0.1 --port 8600

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache
