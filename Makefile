# Order Sync Hub — the two commands you need are `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-dev

.PHONY: run test install clean bench

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

## make test: install what is missing and run the whole suite
test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

## make bench: run each benchmark in BENCHMARKS (a module under bench/); each prints its table
BENCHMARKS ?= bench.intake bench.e2e bench.calls bench.memory
bench: $(STAMP)
	@for benchmark in $(BENCHMARKS); do $(PY) -m $$benchmark || exit 1; done

clean:
	rm -rf $(VENV) var .pytest_cache
