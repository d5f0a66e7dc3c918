# esurety: `make test` runs everything; `make run` starts the local cloud (see README).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)

.PHONY: test unit run token mail invoke bench openapi clean bootstrap-test bootstrap-run

# tools/bootstrap.sh installs what is missing (Debian packages via apt-get, the virtualenvs), saying
# what and how much first; when everything is there it only checks.
$(STAMP): pyproject.toml
	@PYTHON=$(PYTHON) tools/bootstrap.sh venv

bootstrap-test:
	@PYTHON=$(PYTHON) tools/bootstrap.sh test

bootstrap-run:
	@PYTHON=$(PYTHON) tools/bootstrap.sh run

# Spread over JOBS processes (pytest-xdist): a test is a unit of work of its own unless a module
# fixture serves it (then its module is one unit), the e2e modules one unit together
# (tests/conftest.py), so one local cloud runs at a time. The units go out in collection order, so
# the longest one (tests/e2e/) starts first and the quick unit/ tests fill the end.
# JOBS=0 runs in one process.
JOBS ?= 2
XDIST = -n $(JOBS) --dist loadgroup --no-loadscope-reorder

test: bootstrap-test
	$(PY) -m pytest $(XDIST)

# The fast loop: unit/, integration/ and infrastructure/ without the tools of their own (SAM, checkov),
# selected by the e2e marker so that it still counts as a whole run for the fidelity harness.
unit: bootstrap-test
	$(PY) -m pytest $(XDIST) -m "not e2e"

# The template, deployed into the local cloud on 127.0.0.1; Ctrl-C stops it, state stays in .local/.
PORT ?= 4566
run: bootstrap-run
	$(PY) -m tools.localcloud run --port $(PORT)

# An ID token of a demo user: curl -H "Authorization: Bearer $$(make -s token ROLE=orderer)" ...
# (ROLE, not USER: USER is the login name in every shell.) ROLE=staff ISSUER=<issuer id>: that
# issuer's staff member (mihon-sonpo, mirai-bank); without ISSUER, toto-hosho's. ROLE=approver: a second
# staff member of toto-hosho's 栃木支店, who approves what `staff` decides (four eyes are on in make run).
ROLES := contractor staff approver orderer orderer-works orderer-ashikaga
token: $(STAMP)
	@test -n "$(ROLE)" || { echo "usage: make token ROLE=<$(subst $(eval) ,|,$(ROLES))> [ISSUER=<issuer id>]" >&2; exit 2; }
	@test -n "$(filter $(ROLES),$(ROLE))" -a "$(words $(ROLE))" = 1 || \
	  { echo "unknown ROLE=$(ROLE): one of $(ROLES)" >&2; exit 2; }
	@$(PY) -m tools.localcloud token --user $(ROLE) $(if $(ISSUER),--issuer $(ISSUER))

mail: $(STAMP)
	@$(PY) -m tools.localcloud mail

# make invoke FN=ApplyFunction EVENT=events/orderers-list.json
invoke: $(STAMP)
	@test -n "$(FN)" -a -n "$(EVENT)" || { echo "usage: make invoke FN=<logical id> EVENT=events/<file>.json"; exit 2; }
	@$(PY) -m tools.localcloud invoke --function $(FN) --event $(EVENT)

# checkov on the template (its own venv, .venvs/checkov); `make test` runs it too (tests/infrastructure/test_checkov.py).
.PHONY: checkov
checkov:
	@"$$(bash tools/checkov_venv.sh)" -f infra/template.yaml --framework cloudformation --compact --skip-download

# docs/openapi.json from the functions' resolvers, and the web front's types of it (web/src/api.d.ts);
# tests/integration/test_openapi.py fails when either is stale.
openapi: $(STAMP)
	$(PY) -m tools.openapi
	$(PY) -m tools.error_messages

# Cold import of each function beside a bare `import boto3`, ratios against the targets (docs/performance.md).
RUNS ?= 7
bench: $(STAMP)
	$(PY) bench/cold_import.py --runs $(RUNS) --markdown

# Deletes the virtualenvs, build output and the local cloud's state (its data, users, mail).
CLEAN := $(VENV) .venvs .aws-sam .pytest_cache .local
clean:
	@found="$$(for d in $(CLEAN); do [ -e "$$d" ] && echo "$$d"; done)"; \
	if [ -z "$$found" ]; then echo "nothing to delete"; exit 0; fi; \
	echo "deleting:"; for d in $$found; do echo "  $$d ($$(du -sh "$$d" | cut -f1))"; done; \
	rm -rf $$found
