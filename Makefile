# Harmony: `make run` starts it on :8080, `make test` runs the whole suite.
# Both set everything up on a fresh clone (a virtualenv in .venv from the pinned requirements).

PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
# Two xdist workers: the suite's multi-process tests use per-worker databases and free ports.
PYTEST_ARGS ?= -n 2

.PHONY: run test lint format types check bench venv screenshots docs-verify release-check Release \
	drill image-lsio smoke-lsio

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
	@scripts/system_deps.sh
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	exec $(BIN)/python manage.py harmony_serve

lint: $(VENV)/.test-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.test-installed
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# mypy with django-stubs against mypy-baseline.txt, which may only shrink
# (scripts/mypy_baseline.py; downloads/ and library/ have no findings at all).
types: $(VENV)/.test-installed
	$(BIN)/python scripts/mypy_baseline.py

# The fast loop (under a minute): lint, types, the app rules and the pure unit tests.
FAST_TESTS ?= tests/test_architecture.py tests/downloads/test_matching.py \
	tests/downloads/test_matching_labelled.py tests/downloads/test_queries.py \
	tests/downloads/test_versions.py tests/downloads/test_album_matching.py \
	tests/library/test_quality.py tests/library/test_naming.py tests/harmony_site/test_config.py \
	tests/harmony_site/test_secrets.py
check: lint types
	$(BIN)/pytest -n 0 -q -p no:randomly $(FAST_TESTS)

# pytest exits 5 when it collected nothing: that is a failure here, never a pass.
test: lint
	@scripts/system_deps.sh --browser
	$(BIN)/pytest $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests" >&2; fi; exit $$rc

# Every bench/*_bench.py prints a table and writes bench/results/<name>.json; bench/report.py
# then prints them all in one table and writes docs/benchmarks.md.
# beets (bench/import_bench.py's side-by-side) lives in .venv-bench, never next to Harmony.
BENCH_VENV ?= .venv-bench

$(BENCH_VENV)/.installed: requirements-bench.txt
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "make bench needs $(PYTHON) on PATH" >&2; exit 1; }
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/pip install --quiet -r requirements-bench.txt
	touch $@

bench: $(VENV)/.test-installed $(BENCH_VENV)/.installed
	@set -e; for script in bench/*_bench.py; do echo "== $$script"; $(BIN)/python $$script; done
	$(BIN)/python bench/report.py

# Every relative link and file reference in README.md and docs/ resolves, every knob and every
# management command is documented (scripts/docs_verify.py).
docs-verify: $(VENV)/.runtime-installed
	$(BIN)/python scripts/docs_verify.py

# The release gate (scripts/release_check.py): make test, docs-verify, pip-audit, check --deploy,
# smoke test; stops at the first failure. OFFLINE=1 allows an unreachable audit, visibly.
release-check: $(VENV)/.test-installed
	$(BIN)/python scripts/release_check.py $(if $(filter-out 0,$(OFFLINE)),--offline)

# The seed's name for the same gate.
Release: release-check

# The LinuxServer.io-style image (PUID/PGID, /config /downloads /music): built and smoke-tested
# where a Docker engine answers; elsewhere each target says it SKIPPED and succeeds.
IMAGE ?= harmony:local
image-lsio:
	@if ! docker info >/dev/null 2>&1; then \
		echo "image-lsio: SKIPPED: no Docker engine answers here (docker info failed)"; exit 0; fi; \
	docker build -t $(IMAGE) .

smoke-lsio: image-lsio
	@bash scripts/smoke_lsio.sh $(IMAGE)

# The reliability drill (scripts/drill.py): mixed load while workers are SIGKILLed and slskd fails.
drill: $(VENV)/.test-installed
	$(BIN)/python scripts/drill.py

# A PNG of every UI panel under docs/ui/, from a live Harmony with demo data (docs/ui/README.md).
screenshots: $(VENV)/.test-installed
	$(BIN)/python scripts/screenshots.py
