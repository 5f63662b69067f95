# The two commands a fresh machine needs (see README.md), plus helpers for developers.
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip

.PHONY: demo test setup test-setup lint format screenshots exhaustive bench

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e '.[dev]'
	touch $@

setup: $(VENV)/.installed

## The main job: the TUI on the bundled demo (an embedded service; no servers of yours needed).
demo: setup
	$(VENV)/bin/deploytui demo

## Everything the tests need (apt packages included), then the whole suite.
test-setup:
	bash scripts/install-test-deps.sh

test: test-setup setup
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/ruff format --check src tests benchmarks
	$(VENV)/bin/pytest -n auto -q

exhaustive: test-setup setup
	$(VENV)/bin/pytest -n auto -q --exhaustive

lint: setup
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/ruff format --check src tests benchmarks

format: setup
	$(VENV)/bin/ruff check --fix src tests benchmarks
	$(VENV)/bin/ruff format src tests benchmarks

screenshots: setup
	$(PY) scripts/screenshots.py

## Benchmarks against the baselines a user would otherwise pick; writes docs/performance.md.
## (Needs openssh-server for the fan-out figures: `make test-setup` installs it.) ~10 minutes.
bench: setup
	$(PY) -m benchmarks.run
