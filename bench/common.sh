# Sourced by the bench scripts that serve custgraph on the harness database
# (workers.sh, ab.sh): the OWNER token, the servers' environment, waiting for them.
# Expects ROOT and PG to be set; sets DSN, SECRET, PY and exports CUSTGRAPH_*.

DSN="$PG/custgraph_bench"
SECRET=bench-secret-for-loopback-benchmarks-only
PY="$ROOT/.venv/bin/python"
export CUSTGRAPH_DATABASE_URL="postgresql+asyncpg://${PG#postgresql://}/custgraph_bench"
# Logging as the harness serves custgraph (INFO: the access log is part of the cost).
export CUSTGRAPH_SECRET_KEY=$SECRET CUSTGRAPH_RATE_LIMIT_ENABLED=false
export CUSTGRAPH_LOG_LEVEL=${CUSTGRAPH_LOG_LEVEL:-INFO}
export CUSTGRAPH_DELIVERY_WORKER=false

# The bench OWNER's bearer token (bench/harness.sh loads the database and the user).
bench_token() {
  (cd "$ROOT/bench" && "$PY" - "$DSN" "$SECRET" <<'PYEOF'
import asyncio, sys
sys.path.insert(0, ".")
from load_reference import asyncpg_url, owner_token
print(asyncio.run(owner_token(asyncpg_url(sys.argv[1]), sys.argv[2])))
PYEOF
  )
}

# Waits up to a minute for each of the given ports to answer /health/ready.
wait_ready() {
  local port
  for port in "$@"; do
    for _ in $(seq 120); do
      curl -s -o /dev/null -m 2 "http://127.0.0.1:$port/health/ready" && break
      sleep 0.5
    done
  done
}
