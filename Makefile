# Two commands on a fresh machine with python3 (3.11+): `make serve` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install build serve test lint bench clean reset-store

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

build: $(STAMP)
	$(BIN)/eurasia-kg build

# Builds (incrementally), then serves on 127.0.0.1:8000 (another port: make serve PORT=8001).
serve: build
	@$(BIN)/eurasia-kg serve $(if $(PORT),--port $(PORT))

test: $(STAMP)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check src tests bench

# Benchmarks (figures in bench/README.md, raw results in bench/results/). The endpoint benchmark
# uses wrk when it is installed (apt-get install wrk), else a light Python client.
BENCH_STAMP := $(VENV)/.installed-bench
$(BENCH_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e '.[test,bench]'
	touch $(BENCH_STAMP)

bench: build $(BENCH_STAMP)
	$(BIN)/python bench/bench_build.py
	$(BIN)/python bench/bench_endpoint.py
	$(BIN)/python bench/bench_network.py
	$(BIN)/python bench/bench_merge.py

# Removes the build and caches. The one dataset (curated graphs + merged sources) lives in the store,
# which `make clean` never deletes: it says where it is and how to start over.
clean:
	rm -rf dist .pytest_cache
	@if [ -x $(BIN)/eurasia-kg ]; then \
	  echo "The store (curated graphs and merged sources) is kept: $$($(BIN)/eurasia-kg store path)"; \
	  echo "To start over: $(BIN)/eurasia-kg store reset --yes   (or: make reset-store)"; fi

reset-store: $(STAMP)
	$(BIN)/eurasia-kg store reset --yes
