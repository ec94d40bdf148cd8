# TaskDeck: `make demo` to see it, `make test` to check it.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help setup system-deps translations update-translations demo test lint fix bench bundle clean

help: ## Show this help
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

system-deps: ## Install the missing Debian packages (redis, prometheus, alertmanager, Qt libraries, fonts)
	@PYTHON=$(PYTHON) scripts/system-deps.sh

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "make: Python 3.11 or newer is needed; set PYTHON=/path/to/python3.11")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

setup: system-deps $(STAMP) translations ## Install system packages and the project into .venv

# The console's translations: .ts sources kept in git, compiled to .qm (not kept) here.
TS := $(wildcard console/assets/translations/*.ts)
QM := $(TS:.ts=.qm)

translations: $(QM) ## Compile the console's translations (.ts to .qm, pyside6-lrelease)

console/assets/translations/%.qm: console/assets/translations/%.ts $(STAMP)
	$(BIN)/pyside6-lrelease -silent $< -qm $@

update-translations: $(STAMP) ## Gather the console's texts into the .ts sources (pyside6-lupdate)
	$(BIN)/pyside6-lupdate -extensions py -no-obsolete -locations relative console -ts $(TS)

demo: setup ## Start the sandbox, open the console on it (offscreen screenshots to demo-out/ without a display), stop it after
	$(BIN)/taskdeck-sandbox demo --screenshots demo-out

lint: setup ## ruff (lint and format check), mypy and the import rules between the parts
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache --no-logo

fix: setup ## Apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Two test processes, each taking whole modules (a module's servers are its own; the sandbox
# demo's modules share one, tests/conftest.py): most tests wait on servers rather than use
# the CPU, so on two cores the suite takes about 10 minutes instead of 17.
TEST_WORKERS ?= 2

# The tests that need a QApplication run in a session of their own (tests/conftest.py says
# why); both sessions must pass.
test: lint ## Lint, then the whole test suite (real servers on loopback ports)
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile -m "not gui"
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile -m gui

# The frozen console (installer/README.md): a virtual environment of its own holding the
# console's extra and PyInstaller only, made again when the dependencies change; the code
# frozen is the checkout's. The bundle is dist/taskdeck; past its size budget the build fails.
BUNDLE_VENV := build/bundle-venv
BUNDLE_STAMP := $(BUNDLE_VENV)/.installed

$(BUNDLE_STAMP): pyproject.toml constraints.txt
	rm -rf $(BUNDLE_VENV)
	$(PYTHON) -m venv $(BUNDLE_VENV)
	$(BUNDLE_VENV)/bin/python -m pip install -q --upgrade pip
	$(BUNDLE_VENV)/bin/python -m pip install -q -c constraints.txt '.[console]' 'pyinstaller>=6.10,<7'
	$(BUNDLE_VENV)/bin/python -m pip uninstall -q -y taskdeck
	@touch $@

bundle: $(BUNDLE_STAMP) ## Build the frozen console (dist/taskdeck) and check its size budget
	$(BUNDLE_VENV)/bin/pyinstaller --noconfirm --log-level WARN --distpath dist \
		--workpath build/pyinstaller installer/taskdeck.spec
	$(BUNDLE_VENV)/bin/python installer/bundle_size.py dist/taskdeck

bench: setup ## Run the benchmarks and update bench/RESULTS.md
	$(BIN)/python -m bench

clean: ## Remove .venv, caches and demo output
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache demo-out
