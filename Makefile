# Two commands for a newcomer: `make run` and `make test`. Everything else installs itself.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
# llama.cpp built for any AVX2 CPU, not -march=native: a native build on a CPU with AMX
# segfaulted on every prompt longer than a few tokens (seen here, llama-cpp-python 0.3.36)
export CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON

.PHONY: run test lint install test-deps browser axe bench screenshots clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# llama-cpp-python compiles from source on first install (about 10 minutes on 2 cores, cached by pip after)
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	@echo ">> installing the project into $(VENV) (first time: llama.cpp compiles, ~10 min)"
	$(BIN)/pip install -e .
	@touch $@

install: $(VENV)/.installed

run: install
	$(BIN)/shopassist serve

$(VENV)/.test-installed: $(VENV)/.installed
	$(BIN)/pip install -e '.[test]'
	@touch $@

test-deps: $(VENV)/.test-installed browser axe

# axe-core (npm) checks the pages' accessibility inside the browser tests; skipped without npm
axe:
	@if [ ! -f tests/js/node_modules/axe-core/axe.min.js ]; then \
	  if command -v npm >/dev/null 2>&1; then npm ci --prefix tests/js --no-audit --no-fund --silent; \
	  else echo ">> npm not found: the accessibility checks will be skipped"; fi; \
	fi

# Browser tests use Debian's chromium; installed when missing and we may (CI runs as root).
browser:
	@if ! command -v chromium >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo ">> installing Debian's chromium for the browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo ">> chromium not found and cannot be installed here: browser tests will be skipped"; fi; \
	fi

# the style and type checks run first: CI runs `make test`, so they gate every change
lint: $(VENV)/.test-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: test-deps lint
	$(BIN)/python -m pytest

# figures, not tests: each script prints and writes bench/results/<name>.{md,json}; report.py gathers them
# into bench/results/report.{md,json} with the machine's description (about 70 minutes on 2 cores)
bench: $(VENV)/.test-installed
	$(BIN)/python bench/latency.py
	$(BIN)/python bench/load.py
	$(BIN)/python bench/vectors.py
	$(BIN)/python bench/scale.py
	$(BIN)/python bench/throughput.py
	$(BIN)/python bench/report.py

# desktop and phone screenshots of the widget mid-conversation and of the console
screenshots: $(VENV)/.test-installed browser
	$(BIN)/python bench/screenshots.py

clean:
	rm -rf $(VENV) data .pytest_cache
