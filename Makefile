# Harmony: `make run` starts it on :8080, `make test` runs the whole suite.
# Both set everything up on a fresh clone (a virtualenv in .venv from the pinned requirements).

PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: run test lint format bench venv

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Harmony needs $(PYTHON) (Python 3.11) on PATH" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.runtime-installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.test-installed: requirements.txt requirements-dev.txt requirements-test.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-test.txt
	touch $@

venv: $(VENV)/.runtime-installed

run: $(VENV)/.runtime-installed
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	exec $(BIN)/python manage.py harmony_serve

lint: $(VENV)/.test-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.test-installed
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# pytest exits 5 when it collected nothing: that is a failure here, never a pass.
test: lint
	$(BIN)/pytest $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests" >&2; fi; exit $$rc

# Every bench/*.py prints a table and writes bench/results/<name>.json (see docs/benchmarks.md).
bench: $(VENV)/.test-installed
	@set -e; for script in bench/*.py; do echo "== $$script"; $(BIN)/python $$script; done
