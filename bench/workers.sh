#!/usr/bin/env bash
# Throughput of `custgraph serve --workers 1` against `--workers 2` on the harness database
# (run bench/harness.sh once first: it loads custgraph_bench and makes the token).
#
#   bench/workers.sh            # the three shapes at 16 connections, 3 interleaved rounds
#
# Environment (all optional): DURATION=8 ROUNDS=3 CONNECTIONS=16 SHAPES="page detail flat"
#   PG=postgresql://postgres@127.0.0.1:5432  PORT_ONE=8011 PORT_TWO=8012
# Writes bench/results/workers_<shape>.txt. Stops what it started on exit.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SHARED="${SHARED_BENCH:-$(cd "$ROOT/../shared/bench" && pwd)}"
RESULTS="$ROOT/bench/results"
PG="${PG:-postgresql://postgres@127.0.0.1:5432}"
DURATION="${DURATION:-8}"
ROUNDS="${ROUNDS:-3}"
CONNECTIONS="${CONNECTIONS:-16}"
SHAPES="${SHAPES:-page detail flat}"
PORT_ONE="${PORT_ONE:-8011}"
PORT_TWO="${PORT_TWO:-8012}"
PIDS=()
cleanup() { for pid in "${PIDS[@]:-}"; do [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT

mkdir -p "$RESULTS"
# shellcheck source=bench/common.sh
source "$ROOT/bench/common.sh"
TOKEN="$(bench_token)"
"$ROOT/.venv/bin/custgraph" serve --port "$PORT_ONE" --workers 1 >"$RESULTS/workers_1.log" 2>&1 &
PIDS+=($!)
"$ROOT/.venv/bin/custgraph" serve --port "$PORT_TWO" --workers 2 >"$RESULTS/workers_2.log" 2>&1 &
PIDS+=($!)
wait_ready "$PORT_ONE" "$PORT_TWO"
for s in $SHAPES; do
  body="$ROOT/bench/queries/cg_$s.json"
  echo "shape=$s  $(date -u +%FT%TZ)" | tee "$RESULTS/workers_$s.txt"
  "$SHARED/compare" --duration "$DURATION" --rounds "$ROUNDS" --connections "$CONNECTIONS" \
    --auth "$TOKEN" \
    "workers1=http://127.0.0.1:$PORT_ONE/graphql=$body" \
    "workers2=http://127.0.0.1:$PORT_TWO/graphql=$body" | tee -a "$RESULTS/workers_$s.txt"
done
