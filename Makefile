# cxloop — quick start: `make run` (demo workspace + pipeline + web app) and `make test`.
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
export CXLOOP_HOME ?= $(CURDIR)/.cxloop

.PHONY: run test install install-dev lint typecheck bench clean demo

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install -q -e .
	touch $@

# torch must come from the local CPU build before anything pulls it in.
$(VENV)/.installed-dev: $(VENV)/.installed
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[dev,embedding]'
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

run: install
	PATH=$(CURDIR)/$(BIN):$$PATH bash scripts/run-demo.sh

test: install-dev
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/pytest -n 2 --dist loadfile

lint: install-dev
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy

bench: install-dev
	@for b in $$(ls benchmarks/bench_*.py | grep -v _data.py); do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) .cxloop .pytest_cache .mypy_cache .ruff_cache
