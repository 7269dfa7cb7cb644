# Two commands on a fresh machine: `make demo` and `make test` (see README.md).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: demo test test-unit sandbox-up sandbox-down bench system-deps clean

$(STAMP): pyproject.toml
	@scripts/check-python "$(PYTHON)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,pdf]'
	@touch $(STAMP)

## Create the virtual environment, install, print the capacity report and runway of the bundled demo.
demo: $(STAMP)
	$(BIN)/colo capacity report --source demo
	$(BIN)/colo capacity forecast --source demo

## System packages the tests use for real (PDF fonts and libraries, Chromium): installed if missing.
system-deps:
	@scripts/install-system-deps

## Install, start the NetBox sandbox, run the whole suite (unit, gateway, integration).
test: $(STAMP) system-deps
	scripts/netbox-sandbox up
	$(BIN)/python -m pytest -q -p no:cacheprovider -n 2 tests/unit tests/gateway
	# Serially: NetBox 4.7 deadlocks on concurrent bulk device creation.
	eval "$$(scripts/netbox-sandbox env)" && export NETBOX_URL NETBOX_TOKEN && CI=$${CI:-true} $(BIN)/python -m pytest -q -p no:cacheprovider tests/integration

## Only the tests that need no NetBox.
test-unit: $(STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/unit tests/gateway

sandbox-up:
	scripts/netbox-sandbox up

sandbox-down:
	scripts/netbox-sandbox down

## The measured figures (docs/benchmarks.md): the engine, then issue 13's, each with its target.
bench: $(STAMP)
	$(BIN)/python scripts/bench_capacity.py
	if scripts/netbox-sandbox status >/dev/null 2>&1; then eval "$$(scripts/netbox-sandbox env)" && \
		export NETBOX_URL NETBOX_TOKEN; fi; $(BIN)/python scripts/bench_speed.py

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
