# The two commands of the README: `make run` and `make test`. Everything else is a helper.
SHELL := /bin/bash
PY := .venv/bin/python

.PHONY: setup run test test-fast lint bench eval kb-build

setup:
	bash scripts/setup.sh all

run: setup
	$(PY) -m api.cli run

# Lint first: ruff (rules and formatting) and mypy over the packages named in pyproject.toml.
# The Rasa model is trained (only when its inputs changed) before pytest, not inside a test, where
# pytest's per-test timeout would cut a slow training on a loaded machine.
test: setup lint
	$(PY) -m api.cli train
	$(PY) -m pytest -q

test-fast: setup
	$(PY) -m pytest -q -m "not integration and not slow"

# Runs every check and fails at the end, so one run shows all that is wrong.
lint: setup
	@status=0; \
	.venv/bin/ruff check . || status=1; \
	.venv/bin/ruff format --check . || status=1; \
	.venv/bin/mypy || status=1; \
	exit $$status

bench: setup
	$(PY) -m bench

eval: setup
	$(PY) -m api.cli eval ../shared/eval/dev.jsonl

kb-build: setup
	$(PY) -m api.cli kb build
