# Two commands for a fresh machine: `make demo` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

$(BIN)/roombot: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(BIN)/roombot

.PHONY: demo test lint bench
demo: $(BIN)/roombot
	$(BIN)/roombot demo

test: $(BIN)/roombot
	sh scripts/ensure_postgres.sh
	sh scripts/ensure_chart_tools.sh
	sh scripts/ensure_chromium.sh
	$(BIN)/ruff check bot tests bench
	$(BIN)/python -m pytest

lint: $(BIN)/roombot
	$(BIN)/ruff check bot tests bench

bench: $(BIN)/roombot
	$(BIN)/python -m bench.all
