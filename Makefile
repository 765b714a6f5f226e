# Two commands matter: `make demo` and `make test`. Both install everything they need.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
LINT_DIR := tools/cypher-lint

.PHONY: demo test lint lint-python lint-cypher docs bench clean install

install: $(VENV)/.installed $(LINT_DIR)/node_modules/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "ckb needs Python 3.11 or newer ($(PYTHON) is older)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

# The Cypher linter is Neo4j's own, pinned by package-lock.json.
$(LINT_DIR)/node_modules/.installed: $(LINT_DIR)/package.json $(LINT_DIR)/package-lock.json
	cd $(LINT_DIR) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Uses CKB_GRAPH when set, else the embedded store in ./data/ckb.sqlite.
DEMO_CUSTOMERS ?= 10000
DEMO_SAMPLE ?= data/sample
demo: $(VENV)/.installed
	$(BIN)/ckb schema apply
	$(BIN)/ckb sample --customers $(DEMO_CUSTOMERS) --seed 42 --out $(DEMO_SAMPLE)
	$(BIN)/ckb load-dir $(DEMO_SAMPLE)
	$(BIN)/ckb resolve --evaluate $(DEMO_SAMPLE)/truth/identity.csv
	$(BIN)/ckb segment --as-of 2026-11-01
	$(BIN)/ckb stats

lint-python: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

lint-cypher: $(VENV)/.installed $(LINT_DIR)/node_modules/.installed
	$(BIN)/ckb schema cypher --json --out build/cypher-lint.json
	node $(LINT_DIR)/lint.mjs build/cypher-lint.json

lint: lint-python lint-cypher

test: lint
	$(BIN)/python -m pytest

docs: $(VENV)/.installed
	$(BIN)/ckb schema docs

bench: $(VENV)/.installed
	$(BIN)/python bench/embedded_upsert.py

clean:
	rm -rf $(VENV) build $(LINT_DIR)/node_modules
