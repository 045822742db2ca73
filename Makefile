# fn_slack developer tasks. Everything runs in a local virtualenv (.venv) that `make` creates itself,
# so a fresh machine needs nothing but python3.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
ARGS   ?=

.PHONY: install test lint demo bench clean activemq

$(STAMP): setup.py requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	$(PY) -m pip install --quiet -e .
	touch $(STAMP)

install: $(STAMP)

lint: $(STAMP)
	$(VENV)/bin/ruff check .

test: lint
	$(PY) -m pytest tests

demo: $(STAMP)
	$(PY) -m sandbox.demo $(ARGS)

bench: $(STAMP)
	$(PY) -m bench $(ARGS)

# Apache ActiveMQ Classic from Debian's package, for `--broker activemq` and the scale-out suite on it
# (needs root and the package index; does nothing when it is already installed).
activemq:
	@if dpkg -s activemq >/dev/null 2>&1; then echo "activemq is installed"; else \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends activemq >/dev/null \
	  && echo "activemq installed"; fi

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache
