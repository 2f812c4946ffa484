#!/usr/bin/env bash
# The working tree against a git revision, side by side on the harness database: two
# `custgraph serve` processes, one running this checkout's src/, one a clean export of
# REV, measured in interleaved rounds by ../shared/bench/compare. For changes whose
# effect is smaller than the noise of one run against another (a few per cent here).
#
#   bench/ab.sh [REV]          # REV defaults to HEAD; run bench/harness.sh once first
#
# Environment (all optional): DURATION=8 ROUNDS=3 CONNECTIONS=1,16 SHAPES="page detail flat"
#   PG=postgresql://postgres@127.0.0.1:5432  PORT_TREE=8021 PORT_REV=8022
# Writes bench/results/ab_<shape>.txt. Stops what it started on exit.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SHARED="${SHARED_BENCH:-$(cd "$ROOT/../shared/bench" && pwd)}"
RESULTS="$ROOT/bench/results"
REV="${1:-HEAD}"
PG="${PG:-postgresql://postgres@127.0.0.1:5432}"
DURATION="${DURATION:-8}"
ROUNDS="${ROUNDS:-3}"
CONNECTIONS="${CONNECTIONS:-1,16}"
SHAPES="${SHAPES:-page detail flat}"
PORT_TREE="${PORT_TREE:-8021}"
PORT_REV="${PORT_REV:-8022}"
EXPORT="$(mktemp -d)"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]:-}"; do [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; done
  rm -rf "$EXPORT"
}
trap cleanup EXIT

mkdir -p "$RESULTS"
# shellcheck source=bench/common.sh
source "$ROOT/bench/common.sh"
git -C "$ROOT" archive "$REV" src | tar -x -C "$EXPORT"
TOKEN="$(bench_token)"
# PYTHONPATH comes before the editable install's path: the export's package wins there.
"$PY" -m custgraph serve --port "$PORT_TREE" >"$RESULTS/ab_tree.log" 2>&1 &
PIDS+=($!)
PYTHONPATH="$EXPORT/src" "$PY" -m custgraph serve --port "$PORT_REV" >"$RESULTS/ab_rev.log" 2>&1 &
PIDS+=($!)
wait_ready "$PORT_TREE" "$PORT_REV"
for s in $SHAPES; do
  body="$ROOT/bench/queries/cg_$s.json"
  echo "shape=$s  tree vs $REV ($(git -C "$ROOT" rev-parse --short "$REV"))  $(date -u +%FT%TZ)" \
    | tee "$RESULTS/ab_$s.txt"
  "$SHARED/compare" --duration "$DURATION" --rounds "$ROUNDS" --connections "$CONNECTIONS" \
    --auth "$TOKEN" \
    "rev=http://127.0.0.1:$PORT_REV/graphql=$body" \
    "tree=http://127.0.0.1:$PORT_TREE/graphql=$body" | tee -a "$RESULTS/ab_$s.txt"
done
