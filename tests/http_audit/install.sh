#!/bin/sh
# Install the GraphQL over HTTP audit (the npm package "graphql-http" and its peer
# "graphql", pinned in package.json and package-lock.json) into
# tests/http_audit/node_modules, for tests/api/test_graphql_http_audit.py, which runs
# the audit with the `node` next to that npm (or on PATH).
#
# Usage: tests/http_audit/install.sh [VENV_DIR]   (npm found as tools/npm_ci.sh says)
set -eu
exec "$(dirname "$0")/../../tools/npm_ci.sh" tests/http_audit \
    node_modules/graphql-http/package.json "$@"
