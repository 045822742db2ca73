# fn_slack developer tasks. Everything runs in a local virtualenv (.venv) that `make` creates itself,
# so a fresh machine needs nothing but Python >= 3.11 (as python3, or name it: make demo PYTHON=python3.12).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
ARGS   ?=
# pip's warnings about its own configuration (say, an index location that does not exist) are not ours:
# -qq shows pip's errors only.
PIP_QUIET := -qq --disable-pip-version-check

.PHONY: install test test-duplicates lint demo try bench screenshots clean python-check activemq chromium

python-check:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { \
	  echo "fn_slack needs Python 3.11 or later, but '$(PYTHON)' is $$($(PYTHON) --version 2>/dev/null || echo 'not installed')."; \
	  echo "Install Python 3.11+ and name it, for example: make $(or $(MAKECMDGOALS),install) PYTHON=python3.11"; \
	  exit 1; }

# The package's entry points are made from the component files: a new one needs the package installed again.
$(STAMP): setup.py requirements-dev.txt $(wildcard fn_slack/components/funct_*.py) | python-check
	@echo "Setting up $(VENV) (Python $$($(PYTHON) -c 'import platform; print(platform.python_version())')):" \
	  "fn_slack and the development tools; this takes a minute the first time."
	@$(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install $(PIP_QUIET) --upgrade pip
	@$(PY) -m pip install $(PIP_QUIET) -r requirements-dev.txt
	@$(PY) -m pip install $(PIP_QUIET) -e .
	@touch $(STAMP)

install: $(STAMP)

lint: $(STAMP)
	$(VENV)/bin/ruff check .

test: lint
	$(PY) -m pytest tests

# The two-way channel tests again with Slack delivering every event twice (the sandbox's duplicate_events).
test-duplicates: $(STAMP)
	SLACK_SANDBOX_DUPLICATE_EVENTS=1 $(PY) -m pytest -q -p no:cacheprovider tests/unit/test_mirror_soar.py tests/unit/test_mirror_catch_up.py \
	  tests/e2e/test_two_way_channels.py

demo: $(STAMP)
	@$(PY) -m sandbox.demo $(ARGS)

# Both sandboxes, a real resilient-circuits run and the demo incident, to click by hand until Ctrl-C: prints the
# SOAR page of the incident and the Slack channel view.
try: $(STAMP)
	@$(PY) -m sandbox.try_it $(ARGS)

# Retakes every doc/screenshots/*.png by clicking through make try's pages in Chromium (make chromium), and
# writes doc/screenshots/pages.json, the content hashes tests/browser/test_pictures_fresh.py compares
screenshots: $(STAMP)
	$(PY) tools/screenshots.py $(ARGS)

bench: $(STAMP)
	$(PY) -m bench $(ARGS)

# Apache ActiveMQ Classic from Debian's package, for `--broker activemq` and the scale-out suite on it
# (needs root and the package index; does nothing when it is already installed).
activemq:
	@if dpkg -s activemq >/dev/null 2>&1; then echo "activemq is installed"; else \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends activemq >/dev/null \
	  && echo "activemq installed"; fi

# Debian's Chromium and its driver, for the browser tests and `make screenshots` (needs root and the package
# index; does nothing when it is already installed). Playwright drives this browser; it downloads none.
chromium:
	@if command -v chromium >/dev/null 2>&1; then echo "chromium is installed"; else \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-noto-color-emoji \
	  chromium-driver >/dev/null && echo "chromium installed"; fi

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache
