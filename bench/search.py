"""Customer search latency over HTTP on 100,000 seeded customers, PostgreSQL and SQLite.

    .venv/bin/python bench/search.py [--customers 100000] [--requests 50] [--keep]
        [--only postgresql|sqlite] [--reuse]

For each database it:

1. creates it fresh (PostgreSQL: database `custgraph_search_bench` on --pg; SQLite: the file
   --sqlite-file), migrates it and seeds it with
   `custgraph.seed.seed_customers(engine, N, seed=1)` (about two minutes each for 100,000),
   and creates an OWNER staff user; --reuse keeps a database that already holds N customers;
2. starts `custgraph serve` on a loopback port (one worker, as deployed) and sends, one at
   a time, `customers(first: 20, search: …) { totalCount edges { node { id reference
   firstName lastName email } } }` for each search term: 5 warm-up requests, then
   --requests measured ones; reports median and p95 per term and overall;
3. on PostgreSQL, runs EXPLAIN (ANALYZE, BUFFERS) of the statements custgraph runs for
   each term (or those named by --explain; captured from the app itself; plans in
   bench/results/search_explain_*.txt) and says whether the trigram index
   `ix_customers_search_text_trgm` is used, for the custom plan (the first executions
   of a prepared statement) and the generic plan (what PostgreSQL may switch to after five
   executions on one connection); and sends the rare term 8 times to a fresh server,
   printing each request's latency, which shows when that switch happens.

The terms are taken from the seeded data itself (the seed is deterministic): a last name,
a part of an email, a reference prefix (`CUST-0421`), six digits of a phone, a
"first last" name, a rare term (the least frequent last name) and a common term (the most
frequent first name), plus its first three and two letters, as typed in a search-as-you-type
box.
PostgreSQL's database is dropped at the end unless --keep; the SQLite file too.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy import event, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from custgraph.auth.tokens import issue_token
from custgraph.db.engine import create_engine, create_session_factory
from custgraph.db.migrate import upgrade_to_head
from custgraph.db.models import StaffUser
from custgraph.domain.staff_accounts import create_staff_user
from custgraph.seed import seed_customers
from custgraph.settings import Settings

HERE = Path(__file__).parent
ROOT = HERE.parent
RESULTS = HERE / "results"
PG_DB = "custgraph_search_bench"
SECRET = "bench-search-secret-for-loopback-only"
OWNER_EMAIL = "bench-owner@bench.example"
QUERY = """query Search($search: String!) {
  customers(first: 20, search: $search) {
    totalCount edges { node { id reference firstName lastName email } }
  }
}"""
TARGET_MS = 50.0
TIME_LIMIT_S = 60.0  # per term: a measurement loop never runs longer than this


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ------------------------------------------------------------------ databases


async def pg_admin(server: str, sql: str) -> None:
    connection = await asyncpg.connect(server)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


async def customer_count(url: str) -> int:
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            return int(await connection.scalar(text("SELECT count(*) FROM customers")) or 0)
    except Exception:
        return -1
    finally:
        await engine.dispose()


async def seed(url: str, customers: int) -> None:
    # The app's own engine set-up (SQLite pragmas: WAL, foreign keys), unpooled.
    engine = create_engine(Settings(database_url=url, secret_key=SECRET), pooled=False)
    try:
        started = time.perf_counter()
        report = await seed_customers(engine, customers, 1, progress=True)
        log(f"  seeded in {time.perf_counter() - started:.0f} s: {report}")
        if url.startswith("postgresql"):
            async with engine.connect() as connection:
                autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
                await autocommit.execute(text("ANALYZE"))
        else:
            async with engine.begin() as connection:
                await connection.execute(text("ANALYZE"))
    finally:
        await engine.dispose()


async def owner_token(url: str) -> str:
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        sessions = create_session_factory(engine)
        async with sessions() as session:
            user = await session.scalar(select(StaffUser).where(StaffUser.email == OWNER_EMAIL))
        if user is None:
            user = await create_staff_user(
                sessions, email=OWNER_EMAIL, role="OWNER", password=None, first_name="Bench"
            )
        token, _ = issue_token(SECRET, "staff", user.id, user.token_version, timedelta(hours=2))
        return token
    finally:
        await engine.dispose()


async def pick_terms(url: str) -> dict[str, str]:
    """Realistic search terms drawn from the seeded rows (deterministic for a seed)."""
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as connection:

            async def one(sql: str) -> Any:
                return (await connection.execute(text(sql))).one()

            n = int(await connection.scalar(text("SELECT max(id) FROM customers")))
            sample = await one(
                "SELECT first_name, last_name, email, phone FROM customers"
                f" WHERE id = {n * 42 // 100} "
            )
            other = await one(
                "SELECT first_name, last_name FROM customers"
                f" WHERE id = {n * 77 // 100} AND first_name <> '' AND last_name <> ''"
            )
            phoned = await one(
                f"SELECT phone FROM customers WHERE phone IS NOT NULL AND id >= {n // 3}"
                " ORDER BY id LIMIT 1"
            )
            rare = await one(
                "SELECT last_name FROM customers WHERE length(last_name) >= 5"
                " GROUP BY last_name ORDER BY count(*), last_name LIMIT 1"
            )
            common = await one(
                "SELECT first_name FROM customers WHERE first_name <> ''"
                " GROUP BY first_name ORDER BY count(*) DESC, first_name LIMIT 1"
            )
    finally:
        await engine.dispose()
    local = sample.email.split("@")[0]
    # The local part up to its first separator or digit, e.g. "karlhermann" of
    # "karlhermann.beckmann.42000@…": what someone remembering an address types.
    email_part = re.split(r"[._+\d-]", local)[0] or local[:8]
    digits = re.sub(r"\D", "", phoned.phone)
    return {
        "last name": sample.last_name,
        "email part": email_part,
        "reference": "CUST-0421",
        "phone 6 digits": digits[-6:],
        "first last": f"{other.first_name} {other.last_name}",
        "rare": rare.last_name,
        "common": common.first_name,
        "3 letters": common.first_name[:3],
        "2 letters": common.first_name[:2],
    }


# ------------------------------------------------------------------ the server


class Server:
    """`custgraph serve` in a subprocess, stopped by its process id."""

    def __init__(self, url: str, log_file: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/graphql"
        env = dict(os.environ, CUSTGRAPH_DATABASE_URL=url, CUSTGRAPH_SECRET_KEY=SECRET)
        self.log = log_file.open("w")
        self.process = subprocess.Popen(
            [str(ROOT / ".venv/bin/custgraph"), "serve", "--port", str(self.port)],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"custgraph exited; see {self.log.name}")
            try:
                httpx.get(f"http://127.0.0.1:{self.port}/health/live", timeout=1)
                return
            except httpx.HTTPError:
                time.sleep(0.3)
        raise SystemExit("custgraph did not start within 60 s")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def measure(server_url: str, token: str, terms: dict[str, str], requests: int) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    rows: dict[str, Any] = {}
    everything: list[float] = []
    with httpx.Client(headers=headers, timeout=30) as client:

        def call(term: str) -> tuple[float, int]:
            body = {"query": QUERY, "variables": {"search": term}}
            started = time.perf_counter()
            response = client.post(server_url, json=body)
            elapsed = time.perf_counter() - started
            answer = response.json()
            if response.status_code != 200 or answer.get("errors"):
                raise SystemExit(f"{term!r}: {response.status_code} {str(answer)[:300]}")
            return elapsed * 1000, answer["data"]["customers"]["totalCount"]

        for label, term in terms.items():
            for _ in range(5):
                call(term)
            times: list[float] = []
            deadline = time.monotonic() + TIME_LIMIT_S
            total = 0
            while len(times) < requests and time.monotonic() < deadline:
                ms, total = call(term)
                times.append(ms)
            everything += times
            rows[label] = {
                "term": term,
                "matches": total,
                "requests": len(times),
                "median_ms": round(statistics.median(times), 1),
                "p95_ms": round(percentile(times, 0.95), 1),
            }
            r = rows[label]
            log(
                f"  {label:<18} {term!r:<24} {total:>6} matches  median {r['median_ms']:>7.1f} ms"
                f"  p95 {r['p95_ms']:>7.1f} ms  ({len(times)} requests)"
            )
    rows["overall"] = {
        "requests": len(everything),
        "median_ms": round(statistics.median(everything), 1),
        "p95_ms": round(percentile(everything, 0.95), 1),
    }
    return rows


def plan_switch(url: str, token: str, term: str, requests: int = 8) -> list[float]:
    """Latency of the same search on a fresh server, request by request.

    PostgreSQL may replace the custom plans of a prepared statement by a generic one after
    five executions on a connection; a step up from the sixth request shows it.
    """
    server = Server(url, RESULTS / "search_plan_switch_server.log")
    times: list[float] = []
    try:
        server.wait_ready()
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(headers=headers, timeout=30) as client:
            for _ in range(requests):
                started = time.perf_counter()
                client.post(server.url, json={"query": QUERY, "variables": {"search": term}})
                times.append(round((time.perf_counter() - started) * 1000, 1))
    finally:
        server.stop()
    log(f"  the same search ({term!r}) on a fresh server, request by request (ms): {times}")
    return times


# ------------------------------------------------------------------ EXPLAIN


async def captured_statements(url: str, term: str) -> list[tuple[str, Any]]:
    """The statements custgraph runs for one search, with their parameters."""
    from custgraph.app import create_app

    app = create_app(Settings(database_url=url, secret_key=SECRET, log_level="WARNING"))
    engine: AsyncEngine = app.state.custgraph.engine
    token = await owner_token(url)
    seen: list[tuple[str, Any]] = []

    def before(_c: Any, _cur: Any, statement: str, parameters: Any, *_a: Any) -> None:
        seen.append((statement, parameters))

    event.listen(engine.sync_engine, "before_cursor_execute", before)
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            response = await client.post(
                "/graphql",
                json={"query": QUERY, "variables": {"search": term}},
                headers={"Authorization": f"Bearer {token}"},
            )
            assert response.status_code == 200 and not response.json().get("errors")
    finally:
        await engine.dispose()
    return [(s, p) for s, p in seen if "customers" in s and "search_text" in s]


def literal(value: Any) -> str:
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


async def explain(server: str, url: str, label: str, term: str) -> dict[str, Any]:
    statements = await captured_statements(url, term)
    connection = await asyncpg.connect(f"{server}/{PG_DB}")
    verdicts: dict[str, Any] = {}
    lines: list[str] = []
    try:
        for i, (statement, parameters) in enumerate(statements):
            kind = "count" if "count(" in statement else "page"
            await connection.execute(f"PREPARE s{i} AS {statement}")
            args = ", ".join(literal(p) for p in parameters)
            execute = f"EXECUTE s{i}({args})" if args else f"EXECUTE s{i}"
            for mode in ("force_custom_plan", "force_generic_plan"):
                await connection.execute(f"SET plan_cache_mode = {mode}")
                plan = [
                    r[0]
                    for r in await connection.fetch(
                        f"EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) {execute}"
                    )
                ]
                uses = any("ix_customers_search_text_trgm" in line for line in plan)
                took = next((x for x in plan if x.startswith("Execution Time")), "")
                verdicts[f"{kind} {mode.split('_')[1]}"] = {"trigram index": uses, "time": took}
                lines += [f"-- {label} {term!r}: {kind} statement, {mode}", *plan, ""]
            await connection.execute(f"DEALLOCATE s{i}")
    finally:
        await connection.close()
    RESULTS.mkdir(exist_ok=True)
    safe = re.sub(r"\W+", "_", label)
    (RESULTS / f"search_explain_{safe}.txt").write_text(
        "\n".join([s for s, _ in statements] + [""] + lines)
    )
    return verdicts


# ------------------------------------------------------------------ main


def run_backend(args: argparse.Namespace, backend: str) -> dict[str, Any]:
    if backend == "postgresql":
        server = args.pg.rstrip("/")
        url = f"postgresql+asyncpg://{server.split('://', 1)[1]}/{PG_DB}"
        admin = f"{server}/postgres"
    else:
        url = f"sqlite+aiosqlite:///{args.sqlite_file.resolve()}"
    log(f"\n== {backend}: {url}")
    existing = asyncio.run(customer_count(url)) if args.reuse else -1
    if existing != args.customers:
        if backend == "postgresql":
            asyncio.run(pg_admin(admin, f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)'))
            asyncio.run(pg_admin(admin, f'CREATE DATABASE "{PG_DB}"'))
        else:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{args.sqlite_file}{suffix}").unlink(missing_ok=True)
            args.sqlite_file.parent.mkdir(parents=True, exist_ok=True)
        upgrade_to_head(url)
        log(f"  seeding {args.customers} customers (seed=1) …")
        asyncio.run(seed(url, args.customers))
    else:
        log(f"  reusing the {existing} customers already there (--reuse)")
    token = asyncio.run(owner_token(url))
    terms = asyncio.run(pick_terms(url))
    result: dict[str, Any] = {"backend": backend, "customers": args.customers}
    server_process = Server(url, RESULTS / f"search_{backend}_server.log")
    try:
        server_process.wait_ready()
        log(f"  measuring over HTTP ({server_process.url}), {args.requests} requests per term:")
        result["latency"] = measure(server_process.url, token, terms, args.requests)
    finally:
        server_process.stop()
    if backend == "postgresql":
        result["plan_switch"] = plan_switch(url, token, terms["rare"])
    overall = result["latency"]["overall"]
    log(
        f"  overall: median {overall['median_ms']} ms, p95 {overall['p95_ms']} ms over"
        f" {overall['requests']} requests (target: median under {TARGET_MS:.0f} ms)"
    )
    if backend == "postgresql":
        result["explain"] = {}
        for label in args.explain or list(terms):
            verdict = asyncio.run(explain(args.pg.rstrip("/"), url, label, terms[label]))
            result["explain"][label] = {"term": terms[label], **verdict}
            log(f"  EXPLAIN ANALYZE {label} ({terms[label]!r}):")
            for plan, v in verdict.items():
                used = "uses" if v["trigram index"] else "does NOT use"
                log(f"    {plan:<16} {used} ix_customers_search_text_trgm; {v['time']}")
        if not args.keep:
            asyncio.run(pg_admin(admin, f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)'))
            log(f"  dropped database {PG_DB}")
    elif not args.keep:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{args.sqlite_file}{suffix}").unlink(missing_ok=True)
        log(f"  removed {args.sqlite_file}")
    (RESULTS / f"search_{backend}.json").write_text(json.dumps(result, indent=2))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--sqlite-file", type=Path, default=RESULTS / "search_bench.db")
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--only", choices=("postgresql", "sqlite"))
    parser.add_argument("--keep", action="store_true", help="keep the databases afterwards")
    parser.add_argument("--reuse", action="store_true", help="keep a database already seeded")
    parser.add_argument(
        "--explain",
        nargs="*",
        help="labels of the terms to EXPLAIN, e.g. 'last name' rare (default: every term)",
    )
    args = parser.parse_args()
    RESULTS.mkdir(exist_ok=True)
    results = [
        run_backend(args, backend)
        for backend in ("postgresql", "sqlite")
        if args.only in (None, backend)
    ]
    out = RESULTS / "search.json"
    out.write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))
    log(f"\nwritten to {out}")


if __name__ == "__main__":
    main()
