# The two commands of the README: `make run` and `make test`. Everything else is a helper.
SHELL := /bin/bash
PY := .venv/bin/python

.PHONY: setup run test test-fast lint bench eval kb-build

setup:
	bash scripts/setup.sh all

run: setup
	$(PY) -m api.cli run

test: setup
	$(PY) -m pytest -q

test-fast: setup
	$(PY) -m pytest -q -m "not integration and not slow"

lint:
	.venv/bin/ruff check . && .venv/bin/ruff format --check .

bench: setup
	$(PY) -m bench

eval: setup
	$(PY) -m api.cli eval ../shared/eval/dev.jsonl

kb-build: setup
	$(PY) -m api.cli kb build
