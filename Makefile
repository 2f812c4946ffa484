# Two commands on a fresh machine: `make run` (server with demo data on SQLite) and
# `make test` (lint, types, and the suite on SQLite, then on PostgreSQL when reachable).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
# The server the PostgreSQL run creates its throwaway databases on.
TEST_POSTGRES ?= postgresql://postgres@127.0.0.1:5432/postgres

.PHONY: install graphiql http-audit run test lint test-sqlite test-postgres schema bench clean

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(INSTALLED)

install: $(INSTALLED)

graphiql: install
	graphiql/install.sh $(VENV)

# The GraphQL-over-HTTP audit (npm graphql-http) that tests/api/test_graphql_http_audit.py runs.
http-audit: install
	tests/http_audit/install.sh $(VENV)

run: install graphiql
	$(BIN)/custgraph serve --demo

lint: install
	$(BIN)/ruff format --check src tests hatch_build.py $(wildcard bench)
	$(BIN)/ruff check src tests hatch_build.py $(wildcard bench)
	$(BIN)/mypy

test-sqlite: install graphiql http-audit
	$(BIN)/pytest

test-postgres: install graphiql http-audit
	@if $(BIN)/python -m tests.support.postgres_probe "$(TEST_POSTGRES)"; then \
		CUSTGRAPH_TEST_POSTGRES="$(TEST_POSTGRES)" $(BIN)/pytest; \
	else \
		echo "PostgreSQL is not reachable at $(TEST_POSTGRES): the PostgreSQL run is skipped."; \
	fi

test: lint test-sqlite test-postgres

# Side by side with PostGraphile and the raw-SQL floor on PostgreSQL (about 8 minutes),
# then the three shapes on SQLite with 100,000 customers. See bench/README.md.
bench: install
	$(BIN)/pip install --quiet -e ".[dev,bench]"
	bench/harness.sh
	bench/sqlite.sh

schema: install
	$(BIN)/custgraph export-schema > schema.graphql

clean:
	rm -rf $(VENV) graphiql/node_modules tests/http_audit/node_modules
