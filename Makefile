# Two commands for a newcomer: `make run` and `make test`. Everything they need is installed here.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Re-install only when pyproject.toml changes.
INSTALLED := $(VENV)/.installed-app
TEST_INSTALLED := $(VENV)/.installed-test

.PHONY: run test install test-deps messages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(INSTALLED): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(TEST_INSTALLED): pyproject.toml $(INSTALLED)
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(INSTALLED)

# Debian packages the tests need, installed only where missing: headless Chromium for page tests, nginx and
# redis-server for the scale-out tests. Services are not started by the install (policy-rc.d): the tests
# start nginx (and a redis-server they may stop) themselves, as the current user.
DEBIAN_TEST_PACKAGES := chromium nginx redis-server  # each provides the command of its name
test-deps:
	@missing=""; for package in $(DEBIAN_TEST_PACKAGES); do \
	  command -v $$package >/dev/null 2>&1 || [ -x /usr/sbin/$$package ] || missing="$$missing $$package"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    policy=/usr/sbin/policy-rc.d; own_policy=; \
	    if [ ! -e $$policy ]; then printf '#!/bin/sh\nexit 101\n' > $$policy && chmod +x $$policy && own_policy=1; fi; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; status=$$?; \
	    [ -z "$$own_policy" ] || rm -f $$policy; exit $$status; \
	  else echo "note: missing Debian packages:$$missing (browser and scale-out tests need them)"; fi; \
	fi

run: $(INSTALLED)
	$(BIN)/schoolcloud run

test: $(TEST_INSTALLED) test-deps
	$(BIN)/python -m pytest -q
	SCHOOLCLOUD_TEST_DB=postgres $(BIN)/python -m pytest -q -m postgres

# Refresh the translation catalogues after changing user-facing text.
messages: $(INSTALLED)
	$(BIN)/pybabel extract -F schoolcloud/locale/babel.cfg -k N_ -k gettext_ -k in_locale:2 -k AppError:2 \
	  --no-location --sort-output -o schoolcloud/locale/messages.pot .
	for lang in de en; do $(BIN)/pybabel update --no-fuzzy-matching -i schoolcloud/locale/messages.pot \
	  -d schoolcloud/locale -l $$lang; done

clean:
	rm -rf $(VENV) .tools
