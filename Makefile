# esurety: `make test` runs everything; `make run` starts the local cloud (see README).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)

.PHONY: test unit run token mail invoke bench fonts-check clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	@rm -f $(VENV)/.installed-* && touch $@

fonts-check:
	@test -f /usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf -o -n "$$ESURETY_FONT_DIR" || \
	  { echo "missing IPAex fonts: sudo apt-get install fonts-ipaexfont poppler-utils"; exit 1; }

test: $(STAMP) fonts-check browser-check
	$(PY) -m pytest

# The browser tests drive Debian's chromium (Playwright cannot download its own browsers here).
.PHONY: browser-check
browser-check:
	@test -x /usr/bin/chromium || { echo "installing Debian's chromium for the browser tests"; \
	  apt-get install -y -qq chromium >/dev/null 2>&1 || sudo apt-get install -y -qq chromium; }

unit: $(STAMP) fonts-check
	$(PY) -m pytest -m "not e2e"

# The template, deployed into the local cloud on 127.0.0.1; Ctrl-C stops it, state stays in .local/.
PORT ?= 4566
run: $(STAMP) fonts-check
	$(PY) -m tools.localcloud run --port $(PORT)

# An ID token of a demo user: curl -H "Authorization: Bearer $$(make -s token USER=orderer)" ...
# (USER is also the login name in the environment: anything but a demo role means contractor.)
ROLE := $(if $(filter contractor staff orderer,$(USER)),$(USER),contractor)
token: $(STAMP)
	@$(PY) -m tools.localcloud token --user $(ROLE)

mail: $(STAMP)
	@$(PY) -m tools.localcloud mail

# make invoke FN=ApplyFunction EVENT=events/orderers-list.json
invoke: $(STAMP)
	@test -n "$(FN)" -a -n "$(EVENT)" || { echo "usage: make invoke FN=<logical id> EVENT=events/<file>.json"; exit 2; }
	@$(PY) -m tools.localcloud invoke --function $(FN) --event $(EVENT)

# checkov on the template (its own venv, .venvs/checkov); `make test` runs it too (tests/test_checkov.py).
.PHONY: checkov
checkov:
	@"$$(bash tools/checkov_venv.sh)" -f infra/template.yaml --framework cloudformation --compact --skip-download

bench: $(STAMP)
	$(PY) bench/cold_import.py

clean:
	rm -rf $(VENV) .venvs .aws-sam .pytest_cache .local
