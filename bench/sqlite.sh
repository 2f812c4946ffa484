#!/usr/bin/env bash
# The three shapes on SQLite: 100,000 seeded customers, custgraph with compiled reads and
# custgraph on graphql-core's general path, side by side (wrk through ../shared/bench/compare).
#
#   bench/sqlite.sh                  # seeds bench/results/sqlite_100k.db once (about 80 s)
#
# Environment (all optional): DURATION=8 ROUNDS=3 CONNECTIONS=1,16 SHAPES="page detail flat"
#   CUSTOMERS=100000 PORT_COMPILED=8001 PORT_GENERAL=8002
# Writes bench/results/sqlite_compare_<shape>.txt. Stops what it started on exit.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SHARED="${SHARED_BENCH:-$(cd "$ROOT/../shared/bench" && pwd)}"
RESULTS="$ROOT/bench/results"
DURATION="${DURATION:-8}"
ROUNDS="${ROUNDS:-3}"
CONNECTIONS="${CONNECTIONS:-1,16}"
SHAPES="${SHAPES:-page detail flat}"
CUSTOMERS="${CUSTOMERS:-100000}"
PORT_COMPILED="${PORT_COMPILED:-8001}"
PORT_GENERAL="${PORT_GENERAL:-8002}"
DB="$RESULTS/sqlite_100k.db"
PY="$ROOT/.venv/bin/python"
CG="$ROOT/.venv/bin/custgraph"
export CUSTGRAPH_DATABASE_URL="sqlite+aiosqlite:///$DB"
export CUSTGRAPH_SECRET_KEY=bench-secret-for-loopback-benchmarks-only
export CUSTGRAPH_RATE_LIMIT_ENABLED=false CUSTGRAPH_DELIVERY_WORKER=false CUSTGRAPH_LOG_LEVEL=WARNING
PIDS=()
cleanup() { for pid in "${PIDS[@]:-}"; do [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT

mkdir -p "$RESULTS"
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
if [ ! -f "$DB" ]; then
  "$CG" migrate
  "$CG" seed --customers "$CUSTOMERS" --seed 7
fi
TOKEN="$("$PY" - <<'EOF'
import asyncio, os
from datetime import timedelta
from sqlalchemy import select
from custgraph.auth.tokens import issue_token
from custgraph.db.engine import create_engine, create_session_factory
from custgraph.db.models import StaffUser
from custgraph.domain.staff_accounts import create_staff_user
from custgraph.settings import Settings

async def main() -> str:
    settings = Settings()
    engine = create_engine(settings)
    email = "bench-owner@bench.example"
    async with engine.connect() as connection:
        row = (await connection.execute(
            select(StaffUser.id, StaffUser.token_version).where(StaffUser.email == email))).first()
    if row is None:
        user = await create_staff_user(create_session_factory(engine), email=email, role="OWNER",
                                       password="bench-owner-password", first_name="Bench",
                                       last_name="Owner")
        row = (user.id, user.token_version)
    await engine.dispose()
    token, _ = issue_token(settings.secret_key.get_secret_value(), "staff", row[0], row[1],
                           timedelta(hours=6))
    return token

print(asyncio.run(main()))
EOF
)"

"$CG" serve --port "$PORT_COMPILED" >"$RESULTS/sqlite_compiled.log" 2>&1 &
PIDS+=($!)
CUSTGRAPH_COMPILED_READS=false "$CG" serve --port "$PORT_GENERAL" >"$RESULTS/sqlite_general.log" 2>&1 &
PIDS+=($!)
for port in "$PORT_COMPILED" "$PORT_GENERAL"; do
  for _ in $(seq 120); do
    curl -s -o /dev/null -m 2 "http://127.0.0.1:$port/health/live" && break
    sleep 0.5
  done
done
for s in $SHAPES; do
  body="$ROOT/bench/queries/cg_$s.json"
  answer="$(curl -s -H 'Content-Type: application/json' -H "Authorization: Bearer $TOKEN" \
    --data @"$body" "http://127.0.0.1:$PORT_COMPILED/graphql")"
  case "$answer" in *'"errors"'*) echo "custgraph answers $s with errors: ${answer:0:300}" >&2; exit 1 ;; esac
  echo "shape=$s  sqlite, $CUSTOMERS customers  $(date -u +%FT%TZ)" | tee "$RESULTS/sqlite_compare_$s.txt"
  "$SHARED/compare" --duration "$DURATION" --rounds "$ROUNDS" --connections "$CONNECTIONS" \
    --auth "$TOKEN" \
    "compiled=http://127.0.0.1:$PORT_COMPILED/graphql=$body" \
    "general=http://127.0.0.1:$PORT_GENERAL/graphql=$body" | tee -a "$RESULTS/sqlite_compare_$s.txt"
done
