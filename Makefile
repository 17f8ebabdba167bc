# Build and test tooling for the azbackup.restore collection. `make help` lists the targets.
#
# Python: new venvs are made with python3.11 when it runs, else python3 (override: make venv
# PYTHON=/path/to/python). The tooling targets Python 3.11, which both ansible-core 2.19 (.venv)
# and the oldest supported ansible-core, 2.16 (.venv-oldest), support.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-builtin-rules --no-print-directory

VENV        := .venv
VENV_OLDEST := .venv-oldest
BUILD       := build

# pytest-xdist workers (measured on the 2-core machine): the unit, contract and emulator tests
# (~800, ~25 s) run no faster with `-n auto`, as worker start-up and a second emulator eat the
# gain; the integration tests (real ansible-playbook processes, minutes, much of it spent waiting
# on the emulator's clock) run fastest with 4 workers on 2 cores (5:22 with 2, 4:25 with 4).
# PYTEST_WORKERS=N sets both, e.g. 0 for one process.
PYTEST_WORKERS      ?=
UNIT_WORKERS        ?= $(or $(PYTEST_WORKERS),0)
INTEGRATION_WORKERS ?= $(or $(PYTEST_WORKERS),4)
PYTEST_ARGS         ?=
UNIT_TESTS        := tests/unit tests/contract tests/emulator
INTEGRATION_TESTS := tests/integration
OLDEST_TESTS      := tests/unit
# --ansible-unit-inject-only: pytest-ansible puts ANSIBLE_COLLECTIONS_PATH (below) on sys.path,
# so `import ansible_collections.azbackup.restore...` finds this tree through one symlink.
PYTEST_COMMON = --ansible-unit-inject-only $(PYTEST_ARGS)

# Ansible, for playbook runs (make demo, integration tests, ansible-lint): the collection is
# found through build/collections/ansible_collections/azbackup/restore, a symlink to this
# directory (only ansible-test needs a real copy: see scripts/sanity.sh). The interpreter is
# pinned to the venv so that no pyenv shim without our dependencies gets picked for localhost.
export ANSIBLE_COLLECTIONS_PATH    := $(CURDIR)/$(BUILD)/collections
export ANSIBLE_PYTHON_INTERPRETER  := $(CURDIR)/$(VENV)/bin/python
export ANSIBLE_LOCAL_TEMP          := $(CURDIR)/$(BUILD)/ansible-tmp
COLLECTION_LINK := $(BUILD)/collections/ansible_collections/azbackup/restore

.PHONY: help venv venv-oldest freeze-oldest sanity lint unit integration unit-oldest \
        test demo bench build clean clean-venv distclean

help:
	@echo "make venv         .venv (ansible-core 2.19) from tests/requirements.txt + requirements.txt"
	@echo "make venv-oldest  .venv-oldest (ansible-core 2.16) from tests/requirements-oldest.txt"
	@echo "make sanity       ansible-test sanity on a staged copy of the collection"
	@echo "make lint         ansible-lint (roles/, playbooks/), antsibull-docs, antsibull-changelog"
	@echo "make unit         pytest $(UNIT_TESTS)"
	@echo "make integration  pytest $(INTEGRATION_TESTS)"
	@echo "make unit-oldest  pytest $(OLDEST_TESTS) with ansible-core 2.16"
	@echo "make test         everything above (what .ci/run runs)"
	@echo "make demo         emulator + playbooks/demo.yml"
	@echo "make bench        bench/run_all.py"
	@echo "make build        ansible-galaxy collection build into $(BUILD)/"
	@echo "make clean        remove $(BUILD)/ and test output (distclean: the venvs too)"
	@echo "variables: UNIT_WORKERS=0 INTEGRATION_WORKERS=4 (PYTEST_WORKERS=N sets both)"
	@echo "           PYTEST_ARGS='-k name -x'  PYTHON=python3.11 (for new venvs)  DEMO_ARGS=-v"

# --- virtual environments (fast no-ops when the stamp matches the requirement files) ---------

venv:
	@scripts/venv.sh $(VENV) -c tests/constraints.txt -r tests/requirements.txt -r requirements.txt

venv-oldest:
	@scripts/venv.sh $(VENV_OLDEST) -c tests/constraints-oldest.txt -r tests/requirements-oldest.txt -r requirements.txt

# After a change to tests/requirements-oldest.txt: rebuild without the old freeze, then re-freeze.
freeze-oldest:
	rm -rf $(VENV_OLDEST)
	scripts/venv.sh $(VENV_OLDEST) -r tests/requirements-oldest.txt -r requirements.txt
	{ echo "# pip freeze of .venv-oldest (see tests/requirements-oldest.txt); regenerate with 'make freeze-oldest'."; \
	  $(VENV_OLDEST)/bin/pip freeze --disable-pip-version-check; } > tests/constraints-oldest.txt

$(COLLECTION_LINK):
	@mkdir -p $(@D) $(ANSIBLE_LOCAL_TEMP)
	@ln -sfn ../../../.. $@

# --- checks ----------------------------------------------------------------------------------

sanity: venv
	@scripts/sanity.sh

lint: venv | $(COLLECTION_LINK)
	@scripts/lint.sh

unit: venv | $(COLLECTION_LINK)
	@scripts/run_pytest.sh $(VENV) $(UNIT_TESTS) -- -n $(UNIT_WORKERS) $(PYTEST_COMMON)

integration: venv | $(COLLECTION_LINK)
	@scripts/run_pytest.sh $(VENV) $(INTEGRATION_TESTS) -- -n $(INTEGRATION_WORKERS) $(PYTEST_COMMON)

unit-oldest: venv-oldest | $(COLLECTION_LINK)
	@ANSIBLE_PYTHON_INTERPRETER=$(CURDIR)/$(VENV_OLDEST)/bin/python \
	    scripts/run_pytest.sh $(VENV_OLDEST) $(OLDEST_TESTS) -- -n $(UNIT_WORKERS) $(PYTEST_COMMON)

# Every step runs even when an earlier one failed (one log shows all failures); a summary with
# each step's time closes the output. unit and integration stay two pytest runs: their folders
# hold files with the same basenames (tests/unit/plugins/modules/test_vm_restore.py and
# tests/integration/test_vm_restore.py) that import their siblings by plain name, which one run
# in pytest's default import mode cannot collect together.
test: venv venv-oldest
	@MAKE="$(MAKE)" scripts/run_steps.sh sanity lint unit-oldest unit integration

# --- the rest --------------------------------------------------------------------------------

demo: venv | $(COLLECTION_LINK)
	@scripts/demo.sh $(DEMO_ARGS)

bench: venv | $(COLLECTION_LINK)
	@if [ -f bench/run_all.py ]; then \
	    $(VENV)/bin/python bench/run_all.py; \
	else \
	    echo "bench/run_all.py does not exist yet; no benchmark to run"; \
	fi

build: venv
	@mkdir -p $(BUILD)
	$(VENV)/bin/ansible-galaxy collection build --force --output-path $(BUILD) .

clean:
	rm -rf $(BUILD) tests/output collections .pytest_cache .ansible
	find . -path ./$(VENV) -prune -o -path ./$(VENV_OLDEST) -prune -o -path ./.git -prune -o \
	    -name __pycache__ -type d -prune -exec rm -rf {} +

clean-venv:
	rm -rf $(VENV) $(VENV_OLDEST)

distclean: clean clean-venv
