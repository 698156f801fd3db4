# The two commands of the README: `make run` and `make test`. Both set everything up.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
DB     ?= data/linli.duckdb
PORT   ?= 8501

.PHONY: run test demo bench install clean

# The tested versions (requirements.lock), then Linli itself on top of them.
$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.lock
	$(PY) -m pip install -q --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

$(DB): | $(STAMP)
	$(VENV)/bin/linli --db $(DB) demo

demo: $(STAMP)
	$(VENV)/bin/linli --db $(DB) demo

run: $(STAMP) $(DB)
	$(VENV)/bin/linli --db $(DB) serve --port $(PORT)

test: $(STAMP)
	$(PY) -m pytest -q -n 2 --dist loadfile

bench: $(STAMP)
	$(PY) bench/run_all.py

clean:
	rm -rf $(VENV) data/linli.duckdb data/linli.duckdb.wal data/linli.serving data/demo
