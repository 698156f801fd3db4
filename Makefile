# The two commands of the README: `make run` and `make test`. Both set everything up.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
RUN_STAMP  := $(VENV)/.run-installed
TEST_STAMP := $(VENV)/.test-installed
DB     ?= data/linli.duckdb
PORT   ?= 8501
UV     ?= uv
LOCK   := --generate-hashes --python-version 3.11 --python-platform x86_64-unknown-linux-gnu

.PHONY: run test demo bench install lock clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

# The tested versions, each file checked against its hash in the lock, then Linli itself on top of
# them: an editable install of the work tree has no hash to check, so it goes alone with --no-deps.
# `make run` takes only what the app needs (requirements/run.txt); `make test` the same pins plus
# pytest, playwright and pypdf (requirements/test.txt). A stamp per lock: nothing reinstalls until
# the lock or pyproject.toml changes.
$(RUN_STAMP): pyproject.toml requirements/run.txt | $(PY)
	$(PY) -m pip install -q --require-hashes -r requirements/run.txt
	$(PY) -m pip install -q --no-deps -e .
	touch $@

$(TEST_STAMP): pyproject.toml requirements/test.txt | $(PY)
	$(PY) -m pip install -q --require-hashes -r requirements/test.txt
	$(PY) -m pip install -q --no-deps -e .
	touch $@

install: $(RUN_STAMP)

# Rewrites both locks from pyproject.toml (needs uv: `pip install uv`). Pins that still satisfy
# pyproject.toml are kept; move one with `make lock UPGRADE="--upgrade-package NAME"`. The test lock
# is constrained by the run lock, so the two never disagree on a version.
lock:
	$(UV) pip compile --quiet pyproject.toml $(LOCK) $(UPGRADE) -o requirements/run.txt
	$(UV) pip compile --quiet pyproject.toml --extra dev -c requirements/run.txt $(LOCK) $(UPGRADE) -o requirements/test.txt

$(DB): | $(RUN_STAMP)
	$(VENV)/bin/linli --db $(DB) demo

demo: $(RUN_STAMP)
	$(VENV)/bin/linli --db $(DB) demo

run: $(RUN_STAMP) $(DB)
	$(VENV)/bin/linli --db $(DB) serve --port $(PORT)

# The tests' temporary stores go to memory (/dev/shm) where the machine has it: the suite waits on
# DuckDB's disk flushes more than on the CPU. Removed after the run, passed or failed. The 15 slowest
# tests are printed, so a test that grows is seen. The two workers take the suite in the units and
# the order tests/conftest.py gives (the browser tests together, the long units first).
TEST_TMP := $(if $(wildcard /dev/shm/.),/dev/shm/linli-pytest-$(shell id -u),)
test: $(TEST_STAMP)
	$(PY) -m pytest -q -n 2 --dist loadscope --no-loadscope-reorder --durations=15 $(if $(TEST_TMP),--basetemp=$(TEST_TMP)); \
	status=$$?; $(if $(TEST_TMP),rm -rf $(TEST_TMP);) exit $$status

bench: $(RUN_STAMP)
	$(PY) bench/run_all.py

clean:
	rm -rf $(VENV) data/linli.duckdb data/linli.duckdb.wal data/linli.serving data/demo
