#!/usr/bin/env bash
# Where the CPU of one shape goes under load: the server process, PostgreSQL's backends
# (all of them: run it on a quiet machine) and wrk, per request, from /proc while wrk runs.
#
#   bench/cpu_split.sh NAME URL BODY_FILE [CONNECTIONS=16] [SECONDS=8]
#   AUTH=token bench/cpu_split.sh custgraph http://127.0.0.1:8000/graphql bench/queries/cg_flat.json
#
# The server is the process listening on URL's port. At 16 connections on two cores the
# three share the machine: a shape whose server is near 100 % busy is held by Python,
# one whose PostgreSQL share is the larger by the database.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SHARED="${SHARED_BENCH:-$(cd "$ROOT/../shared/bench" && pwd)}"
NAME=$1 URL=$2 BODY=$3 C=${4:-16} D=${5:-8}
PORT=$(echo "$URL" | sed -E 's#.*:([0-9]+)/.*#\1#')
SERVER=$(ss -ltnpH "sport = :$PORT" | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2)
[ -n "$SERVER" ] || { echo "nothing listens on port $PORT" >&2; exit 1; }
HZ=$(getconf CLK_TCK)
ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
backends() { local t=0 p; for p in $(pgrep -x postgres); do t=$((t + $(ticks "$p"))); done; echo "$t"; }
s0=$(ticks "$SERVER"); p0=$(backends)
out=$(BODY_FILE=$BODY AUTH=${AUTH:-} /usr/bin/time -f "WRKCPU %U %S" \
  wrk -t1 -c"$C" -d"${D}s" --timeout 10s -s "$SHARED/wrk-post.lua" "$URL" 2>&1)
s1=$(ticks "$SERVER"); p1=$(backends)
rps=$(echo "$out" | grep -o 'rps=[0-9.]*' | cut -d= -f2)
wrk_cpu=$(echo "$out" | awk '/WRKCPU/ {print $2 + $3}')
awk -v n="$NAME" -v rps="$rps" -v d="$D" -v s=$((s1 - s0)) -v p=$((p1 - p0)) -v w="$wrk_cpu" \
  -v hz="$HZ" -v c="$C" 'BEGIN {
    r = rps * d
    printf "%s c%d: %.1f req/s; CPU per request: server %.3f ms, PostgreSQL %.3f ms, wrk %.3f ms; server busy %.0f %%\n",
      n, c, rps, s / hz / r * 1000, p / hz / r * 1000, w / r * 1000, s / hz / d * 100
  }'
