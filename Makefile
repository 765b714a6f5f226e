# Two commands matter: `make demo` and `make test`. Both install everything they need.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
LINT_DIR := tools/cypher-lint

.PHONY: demo serve test lint lint-python lint-cypher docs bench clean install

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
# The demo serves with one local key (analyst + agent + loader); set CKB_API_KEYS for real use.
DEMO_KEY ?= ckb-demo-key
DEMO_PORT ?= 8000
DEMO_KEYS ?= $(if $(CKB_API_KEYS),$(CKB_API_KEYS),demo:analyst+agent+loader:$(DEMO_KEY))
demo: $(VENV)/.installed
	$(BIN)/ckb schema apply
	$(BIN)/ckb sample --customers $(DEMO_CUSTOMERS) --seed 42 --out $(DEMO_SAMPLE)
	$(BIN)/ckb load-dir $(DEMO_SAMPLE)
	$(BIN)/ckb resolve --evaluate $(DEMO_SAMPLE)/truth/identity.csv
	$(BIN)/ckb enrich $(DEMO_SAMPLE)/third_party_demographics.csv
	$(BIN)/ckb segment
	$(BIN)/ckb stats
	@echo
	@echo "The agent's screen: http://127.0.0.1:$(DEMO_PORT)/ (sign in with the demo key $(DEMO_KEY))."
	@echo "GraphQL at http://127.0.0.1:$(DEMO_PORT)/graphql (demo key: $(DEMO_KEY)); try, from another shell:"
	@echo "  curl -s localhost:$(DEMO_PORT)/graphql -H 'authorization: Bearer $(DEMO_KEY)' -H 'content-type: application/json' \\"
	@echo "    -d '{\"query\": \"{ searchCustomers(text: \\\"wang wei\\\", first: 3) { customerId name matchedOn } }\"}'"
	@echo "  curl -s localhost:$(DEMO_PORT)/graphql -H 'authorization: Bearer $(DEMO_KEY)' -H 'content-type: application/json' \\"
	@echo "    -d '{\"query\": \"{ atRisk(tier: \\\"gold\\\", first: 5) { customerId name churnScore signals } }\"}'"
	@echo "(Ctrl-C stops the server; make serve starts it again.)"
	@echo
	CKB_API_KEYS="$(DEMO_KEYS)" CKB_GRAPHIQL=1 \
		CKB_GRAPHIQL_DEFAULT_KEY="$(if $(CKB_API_KEYS),$(CKB_GRAPHIQL_DEFAULT_KEY),$(DEMO_KEY))" \
		$(BIN)/ckb serve --port $(DEMO_PORT)

# The HTTP API on the demo store (GraphQL, push ingest, EPCIS capture); Ctrl-C stops it.
serve: $(VENV)/.installed
	CKB_API_KEYS="$(DEMO_KEYS)" CKB_GRAPHIQL=1 \
		CKB_GRAPHIQL_DEFAULT_KEY="$(if $(CKB_API_KEYS),$(CKB_GRAPHIQL_DEFAULT_KEY),$(DEMO_KEY))" \
		$(BIN)/ckb serve --port $(DEMO_PORT)

lint-python: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

lint-cypher: $(VENV)/.installed $(LINT_DIR)/node_modules/.installed
	$(BIN)/ckb schema cypher --json --out build/cypher-lint.json
	node $(LINT_DIR)/lint.mjs build/cypher-lint.json

lint: lint-python lint-cypher

# The browser tests (GraphiQL, the agent's screen) drive Debian's chromium: installed here
# when missing and apt-get is usable as root (about 30 s, 400 MB on disk); else they skip.
# A CJK font, so the agent screen's Chinese labels render in its screenshots.
.PHONY: chromium
chromium:
	@{ command -v chromium >/dev/null 2>&1 && fc-list 2>/dev/null | grep -qi "wenquanyi\|wqy"; } || { \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "installing chromium and a CJK font for the browser tests (apt-get)"; \
			{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
				--no-install-recommends chromium fonts-wqy-microhei >/dev/null; } \
			|| echo "chromium could not be installed: the browser test will skip"; \
		else \
			echo "no chromium, and apt-get is not usable as root: the browser test will skip"; \
		fi; }

# One worker per core; a test module stays on one worker, so its fixtures are built once.
test: lint chromium
	$(BIN)/python -m pytest -n auto --dist loadfile

docs: $(VENV)/.installed
	$(BIN)/ckb schema docs

bench: $(VENV)/.installed
	$(BIN)/python bench/embedded_upsert.py

clean:
	rm -rf $(VENV) build $(LINT_DIR)/node_modules

# SIGKILL every writing command at hundreds of points and compare each recovery with an
# uninterrupted run (bench/crash_points.py; docs/operations.md, "Crash tests"). make test
# runs a few of them (pytest -m faults). E.g. make crash-bench CRASH_ARGS="--jobs 2".
CRASH_ARGS ?=
.PHONY: crash-bench
crash-bench: $(VENV)/.installed
	$(BIN)/python bench/crash_points.py $(CRASH_ARGS)
