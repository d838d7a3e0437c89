# Order Sync Hub — the two commands you need are `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-dev

.PHONY: run test lint install clean bench

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## make run: install what is missing, migrate, start web server + workers + scheduler (+ sandbox)
run: $(STAMP)
	$(PY) manage.py runhub

## make test: install what is missing and run the whole suite, TEST_WORKERS processes at a time
## (pytest-xdist; TEST_WORKERS=0 runs in this process). Most tests wait on HTTP and the database,
## so more workers than CPUs pays; the tests that load the machine run one at a time (tests/conftest.py).
TEST_WORKERS ?= 4
test: $(STAMP)
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

## make lint: ruff's checks (pyproject.toml [tool.ruff]) over the whole repository, then mypy's
## type check of hub/ and syncapp/ (pyproject.toml [tool.mypy], with Django's and DRF's stubs)
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

## make bench: run each benchmark in BENCHMARKS (a module under bench/); each prints its table
BENCHMARKS ?= bench.intake bench.e2e bench.calls bench.memory bench.soak
bench: $(STAMP)
	@for benchmark in $(BENCHMARKS); do $(PY) -m $$benchmark || exit 1; done

clean:
	rm -rf $(VENV) var .pytest_cache
