"""Load test: concurrent clients on a mix of reads and money mutations, then the ledgers checked.

    .venv/bin/python bench/load_test.py [--duration 60] [--clients 16] [--workers 2]
        [--customers 2000] [--keep] [--pg postgresql://postgres@127.0.0.1:5432]

What it does:

1. creates a throwaway PostgreSQL database `custgraph_load_<pid>` on --pg and fills it with
   the command line, as an operator would: `custgraph migrate`, `custgraph seed --customers N
   --seed 11`, `custgraph staff create --role OWNER`;
2. picks 20 ACTIVE "hot" customers and notes their points and credit balances and the newest
   ledger ids;
3. starts `custgraph serve --workers W` on a free loopback port and signs in with the
   `staffLogin` mutation over HTTP;
4. runs --clients asyncio clients (one httpx connection each) for --duration seconds, each
   looping over a weighted mix: 60 % the admin list page (bench/queries/cg_page.json), 25 % a
   customer's detail (bench/queries/cg_detail.json on a random customer), 7.5 %
   `customerPointsAdjust` and 7.5 % `customerCreditAdjust` with small deltas of both signs on
   the hot customers, each with its own idempotency key. The clients never ask for more than
   a balance is known to hold, so a refusal is an error, not an expected outcome;
5. checks the ledgers in the database: for each hot customer, both ledgers chain in id order
   (balance_after = previous balance_after + delta, from zero), the customer's balance equals
   the newest entry's, the new entries are exactly those the clients saw succeed (no lost
   write, none written twice), and their deltas sum to the change of the balance;
6. prints the report and writes it to bench/results/load_test.json; stops the server and
   drops the database (unless --keep).

Any failed request (transport error, non-2xx, `errors` in the body, non-empty `userErrors`)
or ledger mismatch makes the exit status 1.

The server runs with CUSTGRAPH_RATE_LIMIT_ENABLED=false: all clients share one staff user,
whose leaky bucket would otherwise refuse most requests within seconds. This measures the
service, not the limiter. CUSTGRAPH_LOG_LEVEL=WARNING keeps per-request log lines out of the
measurement; the server log goes to bench/results/load_test_server.log.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import math
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx

HERE = Path(__file__).parent
ROOT = HERE.parent
RESULTS = HERE / "results"
CLI = ROOT / ".venv" / "bin" / "custgraph"
SECRET = "load-test-secret-for-loopback-use-only"  # the server refuses fewer than 32 bytes
OWNER_EMAIL = "load-owner@bench.example"
SEED = 11
HOT_CUSTOMERS = 20
PAGE_SIZE = 50  # what bench/queries/cg_page.json asks for
REQUEST_TIMEOUT_S = 30.0
READY_TIMEOUT_S = 90.0
STOP_TIMEOUT_S = 15.0
# application/graphql-response+json makes the server answer failed requests with 4xx/5xx
# instead of 200 with `errors`, so a bad token cannot pass for a success (bench/README.md).
ACCEPT = "application/graphql-response+json"

# The request mix: the admin list page, a customer's detail, the two money mutations.
MIX = {"page": 0.60, "detail": 0.25, "points": 0.075, "credit": 0.075}
KINDS = tuple(MIX)

POINTS = """mutation Points($input: CustomerPointsAdjustInput!) {
  customerPointsAdjust(input: $input) {
    customer { id version pointsBalance }
    pointsEntry { id delta balanceAfter }
    userErrors { field code message } } }"""
CREDIT = """mutation Credit($input: CustomerCreditAdjustInput!) {
  customerCreditAdjust(input: $input) {
    customer { id version creditBalance { amount } }
    creditEntry { id amount { amount } balanceAfter { amount } }
    userErrors { field code message } } }"""
LOGIN = """mutation Login($input: StaffLoginInput!) {
  staffLogin(input: $input) { token userErrors { code message } } }"""


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def global_id(type_name: str, db_id: int) -> str:
    # Written out rather than imported: the load test is a client and knows only the API.
    return base64.b64encode(f"{type_name}:{db_id}".encode()).decode()


# --- options ---------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load")
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients")
    parser.add_argument("--workers", type=int, default=2, help="server processes")
    parser.add_argument("--customers", type=int, default=2000, help="customers to seed")
    parser.add_argument("--keep", action="store_true", help="keep the database at the end")
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432")
    args = parser.parse_args(argv)
    if args.customers < HOT_CUSTOMERS * 5:
        parser.error(f"--customers must be at least {HOT_CUSTOMERS * 5}")
    return args


# --- the throwaway database ------------------------------------------------------------


@dataclass(frozen=True)
class Database:
    server: str  # postgresql://user@host:port
    name: str

    @property
    def dsn(self) -> str:
        return f"{self.server}/{self.name}"

    @property
    def sqlalchemy_url(self) -> str:
        return "postgresql+asyncpg://" + self.server.removeprefix("postgresql://") + "/" + self.name


async def create_database(db: Database) -> None:
    admin = await asyncpg.connect(f"{db.server}/postgres")
    try:
        await admin.execute(f'CREATE DATABASE "{db.name}"')
    finally:
        await admin.close()


async def drop_database(db: Database) -> None:
    admin = await asyncpg.connect(f"{db.server}/postgres")
    try:
        # FORCE: a server killed with SIGKILL may leave its connections behind for a moment.
        await admin.execute(f'DROP DATABASE IF EXISTS "{db.name}" WITH (FORCE)')
    finally:
        await admin.close()


def server_env(db: Database) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CUSTGRAPH_")}
    env.update(
        CUSTGRAPH_DATABASE_URL=db.sqlalchemy_url,
        CUSTGRAPH_SECRET_KEY=SECRET,
        CUSTGRAPH_RATE_LIMIT_ENABLED="false",
        CUSTGRAPH_LOG_LEVEL="WARNING",
    )
    return env


def run_cli(env: dict[str, str], *args: str) -> None:
    shown = [
        "***" if before == "--password" else a
        for before, a in zip(("", *args[:-1]), args, strict=True)
    ]
    log("$ custgraph " + " ".join(shown))
    completed = subprocess.run(
        [str(CLI), *args], env=env, cwd=ROOT, capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        raise SystemExit(f"custgraph {args[0]} failed:\n{completed.stdout}{completed.stderr}")


def prepare_database(db: Database, customers: int, password: str) -> None:
    env = server_env(db)
    run_cli(env, "migrate")
    run_cli(env, "seed", "--customers", str(customers), "--seed", str(SEED))
    owner = ("--email", OWNER_EMAIL, "--role", "OWNER", "--password", password)
    run_cli(env, "staff", "create", *owner)


# --- ledgers ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Ledger:
    """Where one of a customer's balances lives: the entries' table and delta column."""

    name: str
    table: str
    delta_column: str
    balance_column: str


LEDGERS = {
    "points": Ledger("points", "points_entries", "delta", "points_balance"),
    "credit": Ledger("credit", "credit_entries", "amount", "credit_balance"),
}


@dataclass(frozen=True)
class Snapshot:
    """The state before the load: every hot customer's balances and each ledger's newest id."""

    balances: dict[str, dict[int, int]]  # ledger -> customer id -> balance (points, cents)
    max_entry_id: dict[str, int]


async def pick_customers(conn: asyncpg.Connection) -> tuple[list[int], list[int]]:
    """All customer ids (for detail reads) and the hot ones (for mutations).

    Hot customers are ACTIVE: merged and erased records refuse adjustments by design.
    """
    all_ids = [r["id"] for r in await conn.fetch("SELECT id FROM customers ORDER BY id")]
    active = [r["id"] for r in await conn.fetch("SELECT id FROM customers WHERE status = 'ACTIVE'")]
    return all_ids, sorted(random.Random(SEED).sample(sorted(active), HOT_CUSTOMERS))


async def take_snapshot(conn: asyncpg.Connection, hot: list[int]) -> Snapshot:
    balances: dict[str, dict[int, int]] = {}
    max_ids: dict[str, int] = {}
    for ledger in LEDGERS.values():
        rows = await conn.fetch(
            f"SELECT id, {ledger.balance_column} AS balance FROM customers WHERE id = ANY($1)",
            hot,
        )
        balances[ledger.name] = {r["id"]: r["balance"] for r in rows}
        max_ids[ledger.name] = await conn.fetchval(
            f"SELECT coalesce(max(id), 0) FROM {ledger.table}"
        )
    return Snapshot(balances, max_ids)


@dataclass
class Write:
    """A mutation the client saw succeed: the entry the server says it wrote."""

    ledger: str
    customer_id: int
    delta: int  # points, or cents
    entry_id: int


def check_chain(ledger: str, customer_id: int, rows: list[asyncpg.Record]) -> list[str]:
    """Problems in one ledger's chain: each balance_after must be the previous one plus delta."""
    problems = []
    balance = 0
    for row in rows:
        if row["balance_after"] != balance + row["delta"]:
            problems.append(
                f"{ledger} customer {customer_id}: entry {row['id']} has balance_after "
                f"{row['balance_after']}, previous {balance} + delta {row['delta']} expected"
            )
        balance = row["balance_after"]
    return problems


def check_writes(where: str, new_entries: dict[int, int], writes: list[Write]) -> list[str]:
    """Problems between the entries written during the load and the successes clients saw.

    Equal sets of entry ids with equal deltas mean no write was lost and none was made
    twice (a replayed or doubled mutation would leave an entry nobody was told about).
    """
    seen = {w.entry_id: w.delta for w in writes}
    problems = []
    if len(seen) != len(writes):
        problems.append(f"{where}: the server reported the same entry for two mutations")
    lost = sorted(set(seen) - set(new_entries))
    extra = sorted(set(new_entries) - set(seen))
    changed = sorted(i for i in set(seen) & set(new_entries) if seen[i] != new_entries[i])
    if lost or extra or changed:
        problems.append(
            f"{where}: reported but missing {lost}, written but unreported {extra}, "
            f"delta differs {changed}"
        )
    return problems


async def check_customer(
    conn: asyncpg.Connection,
    ledger: Ledger,
    customer_id: int,
    snapshot: Snapshot,
    writes: list[Write],
) -> list[str]:
    """One ledger of one hot customer: chain, balance column, writes, and the balance moved."""
    rows = await conn.fetch(
        f"SELECT id, {ledger.delta_column} AS delta, balance_after FROM {ledger.table} "
        "WHERE customer_id = $1 ORDER BY id",
        customer_id,
    )
    balance = await conn.fetchval(
        f"SELECT {ledger.balance_column} FROM customers WHERE id = $1", customer_id
    )
    where = f"{ledger.name} customer {customer_id}"
    problems = check_chain(ledger.name, customer_id, rows)
    newest = rows[-1]["balance_after"] if rows else 0
    if balance != newest:
        problems.append(f"{where}: balance {balance}, newest entry's balance_after {newest}")
    since = snapshot.max_entry_id[ledger.name]
    problems += check_writes(where, {r["id"]: r["delta"] for r in rows if r["id"] > since}, writes)
    before, total = snapshot.balances[ledger.name][customer_id], sum(w.delta for w in writes)
    if total != balance - before:
        problems.append(f"{where}: clients' deltas sum to {total}, balance {before} -> {balance}")
    return problems


async def check_ledgers(db: Database, snapshot: Snapshot, writes: list[Write]) -> dict[str, Any]:
    by_key: dict[tuple[str, int], list[Write]] = defaultdict(list)
    for w in writes:
        by_key[(w.ledger, w.customer_id)].append(w)
    problems: list[str] = []
    conn = await asyncpg.connect(db.dsn)
    try:
        for ledger in LEDGERS.values():
            for customer_id in snapshot.balances[ledger.name]:
                problems += await check_customer(
                    conn, ledger, customer_id, snapshot, by_key[(ledger.name, customer_id)]
                )
    finally:
        await conn.close()
    return {
        "ok": not problems,
        "customers": len(snapshot.balances["points"]),
        "writes": dict(Counter(w.ledger for w in writes)),
        "problems": problems,
    }


# --- the server ------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def start_server(db: Database, port: int, workers: int, log_path: Path) -> subprocess.Popen[bytes]:
    with log_path.open("wb") as out:
        # A session of its own, so that the workers it forks can be killed with it.
        return subprocess.Popen(
            [str(CLI), "serve", "--port", str(port), "--workers", str(workers)],
            env=server_env(db),
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


async def wait_ready(server: subprocess.Popen[bytes], base: str) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    async with httpx.AsyncClient(base_url=base, timeout=2.0) as client:
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise SystemExit(f"the server exited with status {server.returncode}")
            try:
                if (await client.get("/health/ready")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.5)
    raise SystemExit(f"the server was not ready within {READY_TIMEOUT_S:.0f} s")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is not None:
        return
    server.send_signal(signal.SIGTERM)  # uvicorn's supervisor stops its workers on SIGTERM
    try:
        server.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        log(f"the server did not stop within {STOP_TIMEOUT_S:.0f} s; killing it")
        os.killpg(server.pid, signal.SIGKILL)  # the group is the session started above
        server.wait()


async def sign_in(base: str, password: str) -> str:
    async with httpx.AsyncClient(base_url=base, timeout=REQUEST_TIMEOUT_S) as client:
        body = {
            "query": LOGIN,
            "variables": {"input": {"email": OWNER_EMAIL, "password": password}},
        }
        answer = (await client.post("/graphql", json=body, headers={"Accept": ACCEPT})).json()
    payload = (answer.get("data") or {}).get("staffLogin") or {}
    if not payload.get("token"):
        raise SystemExit(f"staffLogin failed: {answer}")
    token: str = payload["token"]
    return token


# --- requests --------------------------------------------------------------------------


def page_body() -> dict[str, Any]:
    body: dict[str, Any] = json.loads((HERE / "queries" / "cg_page.json").read_text())
    if f"customers(first: {PAGE_SIZE}," not in body["query"]:
        raise SystemExit(f"bench/queries/cg_page.json no longer asks for {PAGE_SIZE} customers")
    return body


def detail_query() -> str:
    """The benchmark's detail shape with the customer id as a variable."""
    query: str = json.loads((HERE / "queries" / "cg_detail.json").read_text())["query"]
    fixed = 'customer(id: "Q3VzdG9tZXI6NDI0MA==")'
    if fixed not in query or "query Detail {" not in query:
        raise SystemExit("bench/queries/cg_detail.json changed shape; update detail_query()")
    return query.replace(fixed, "customer(id: $id)").replace(
        "query Detail {", "query Detail($id: ID!) {"
    )


@dataclass
class Sample:
    kind: str
    latency_s: float
    status: int  # 0 when no answer came
    error: str | None


class Balances:
    """What each hot customer's balance is known to cover, with adjustments in flight.

    A take is reserved before it is sent and a top-up counted only once it succeeded, so
    no take can find too little, however the server orders concurrent adjustments.
    """

    def __init__(self, start: dict[int, int]) -> None:
        self.available = dict(start)

    def choose(self, customer_id: int, delta: int) -> int:
        """`delta`, or its opposite when a take could exceed what is covered; reserves takes."""
        if delta < 0 and self.available[customer_id] + delta < 0:
            delta = -delta
        if delta < 0:
            self.available[customer_id] += delta
        return delta

    def settle(self, customer_id: int, delta: int, succeeded: bool) -> None:
        # A failed take keeps its reservation: its outcome may be unknown (a timeout), and
        # covering less than there is only makes later takes rarer.
        if succeeded and delta > 0:
            self.available[customer_id] += delta


@dataclass
class Workload:
    """What the clients share: the bodies, the customers, the balances, what they record."""

    page: dict[str, Any]
    detail: str
    customer_ids: list[int]
    hot: list[int]
    balances: dict[str, Balances]
    samples: list[Sample] = field(default_factory=list)
    writes: list[Write] = field(default_factory=list)
    client_cpu_s: float = 0.0
    loadavg: list[list[float]] = field(default_factory=list)  # 1/5/15 min, before and after


def answer_error(response: httpx.Response) -> tuple[dict[str, Any] | None, str | None]:
    """The answer's `data`, or why the request failed (status, body, top-level `errors`)."""
    if not 200 <= response.status_code < 300:
        return None, f"HTTP {response.status_code}: {response.text[:200]}"
    try:
        answer = response.json()
    except ValueError:
        return None, f"not JSON: {response.text[:200]}"
    if answer.get("errors"):
        first = answer["errors"][0]
        code = (first.get("extensions") or {}).get("code")
        return None, f"errors ({len(answer['errors'])}): {code} {first.get('message')}"
    return answer.get("data") or {}, None


async def send(client: httpx.AsyncClient, body: dict[str, Any]) -> tuple[httpx.Response, float]:
    started = time.perf_counter()
    response = await client.post("/graphql", json=body)
    return response, time.perf_counter() - started


async def read(client: httpx.AsyncClient, work: Workload, kind: str, rng: random.Random) -> Sample:
    if kind == "page":
        body, root = work.page, "customers"
    else:
        customer = global_id("Customer", rng.choice(work.customer_ids))
        body, root = {"query": work.detail, "variables": {"id": customer}}, "customer"
    response, latency = await send(client, body)
    data, error = answer_error(response)
    if data is not None:
        error = wrong_content(data.get(root), body.get("variables", {}).get("id"))
    return Sample(kind, latency, response.status_code, error)


def wrong_content(value: Any, customer_id: str | None) -> str | None:
    """Why a read's answer is not what was asked (a full page, or the customer asked for)."""
    if value is None:
        return "the root field is null"
    if customer_id is None and len(value["edges"]) != PAGE_SIZE:
        return f"the page has {len(value['edges'])} customers, not {PAGE_SIZE}"
    if customer_id is not None and value["id"] != customer_id:
        return f"asked for {customer_id}, got {value['id']}"
    return None


def mutation_body(kind: str, customer_id: int, delta: int) -> dict[str, Any]:
    common = {
        "customerId": global_id("Customer", customer_id),
        "reason": "load test",
        "idempotencyKey": f"load-{uuid.uuid4().hex}",
    }
    if kind == "points":
        return {"query": POINTS, "variables": {"input": {**common, "delta": delta}}}
    amount = f"{delta / 100:.2f}"  # cents as a signed decimal string
    return {"query": CREDIT, "variables": {"input": {**common, "amount": amount}}}


def written_entry(kind: str, data: dict[str, Any]) -> tuple[int | None, str | None]:
    """The database id of the entry a mutation wrote, or why it did not write."""
    root, entry_field = (
        ("customerPointsAdjust", "pointsEntry")
        if kind == "points"
        else ("customerCreditAdjust", "creditEntry")
    )
    payload = data.get(root) or {}
    if payload.get("userErrors"):
        first = payload["userErrors"][0]
        return None, f"userErrors: {first.get('code')} {first.get('message')}"
    entry = payload.get(entry_field)
    if not entry:
        return None, f"no {entry_field} in the payload"
    _, _, db_id = base64.b64decode(entry["id"]).decode().partition(":")
    return int(db_id), None


async def mutate(
    client: httpx.AsyncClient, work: Workload, kind: str, rng: random.Random
) -> Sample:
    customer_id = rng.choice(work.hot)
    # Small deltas of both signs: points 1-20, credit 0.01-20.00 (in cents).
    size = rng.randint(1, 20) if kind == "points" else rng.randint(1, 2000)
    delta = work.balances[kind].choose(customer_id, rng.choice((-1, 1)) * size)
    status, entry_id, error, latency = 0, None, None, 0.0
    try:
        response, latency = await send(client, mutation_body(kind, customer_id, delta))
        status = response.status_code
        data, error = answer_error(response)
        if data is not None:
            entry_id, error = written_entry(kind, data)
    finally:
        work.balances[kind].settle(customer_id, delta, entry_id is not None)
    if entry_id is not None:
        work.writes.append(Write(kind, customer_id, delta, entry_id))
    return Sample(kind, latency, status, error)


def pick_kind(rng: random.Random) -> str:
    return rng.choices(KINDS, weights=tuple(MIX.values()))[0]


async def one_request(
    client: httpx.AsyncClient, work: Workload, kind: str, rng: random.Random
) -> Sample:
    started = time.perf_counter()
    try:
        if kind in ("page", "detail"):
            return await read(client, work, kind, rng)
        return await mutate(client, work, kind, rng)
    except httpx.HTTPError as error:  # no answer: a timeout or a dropped connection
        return Sample(kind, time.perf_counter() - started, 0, f"{type(error).__name__}: {error}")


async def run_client(base: str, token: str, work: Workload, index: int, deadline: float) -> None:
    rng = random.Random(SEED * 1000 + index)
    headers = {"Authorization": f"Bearer {token}", "Accept": ACCEPT}
    # One connection per client, like a browser tab or an integration with one session.
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    async with httpx.AsyncClient(
        base_url=base, headers=headers, limits=limits, timeout=REQUEST_TIMEOUT_S
    ) as client:
        while time.monotonic() < deadline:
            work.samples.append(await one_request(client, work, pick_kind(rng), rng))


async def check_shapes(base: str, token: str, work: Workload) -> None:
    """One read of each shape before the load: a bad token or shape stops us at once."""
    headers = {"Authorization": f"Bearer {token}", "Accept": ACCEPT}
    rng = random.Random(SEED)
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=60.0) as client:
        for kind in ("page", "detail"):
            sample = await read(client, work, kind, rng)
            if sample.error:
                raise SystemExit(f"the {kind} shape fails before any load: {sample.error}")


async def run_load(base: str, token: str, work: Workload, clients: int, duration: float) -> float:
    started, cpu, loadavg = time.monotonic(), time.process_time(), os.getloadavg()
    deadline = started + duration
    await asyncio.gather(*(run_client(base, token, work, i, deadline) for i in range(clients)))
    # The clients share the 2 cores with the server: their CPU time says how much they took.
    work.client_cpu_s = time.process_time() - cpu
    work.loadavg = [[round(x, 2) for x in avg] for avg in (loadavg, os.getloadavg())]
    return time.monotonic() - started


# --- the report ------------------------------------------------------------------------


def percentile(sorted_values: list[float], share: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return float("nan")
    rank = math.ceil(share * len(sorted_values))
    return sorted_values[min(max(rank, 1), len(sorted_values)) - 1]


def kind_stats(samples: list[Sample], elapsed: float) -> dict[str, Any]:
    latencies = sorted(s.latency_s * 1000 for s in samples)
    return {
        "requests": len(samples),
        "rps": round(len(samples) / elapsed, 2),
        "p50_ms": round(percentile(latencies, 0.50), 1),
        "p95_ms": round(percentile(latencies, 0.95), 1),
        "p99_ms": round(percentile(latencies, 0.99), 1),
        "max_ms": round(latencies[-1], 1) if latencies else None,
        "errors": sum(1 for s in samples if s.error),
    }


def build_report(
    args: argparse.Namespace,
    work: Workload,
    elapsed: float,
    ledgers: dict[str, Any],
    context: dict[str, Any],
) -> dict[str, Any]:
    errors = [s for s in work.samples if s.error]
    return {
        **context,
        "settings": {
            "duration_s": args.duration,
            "clients": args.clients,
            "workers": args.workers,
            "customers": args.customers,
            "hot_customers": HOT_CUSTOMERS,
            "mix": MIX,
        },
        "elapsed_s": round(elapsed, 2),
        "client_cpu_s": round(work.client_cpu_s, 2),
        "loadavg": work.loadavg,
        "total": kind_stats(work.samples, elapsed),
        "kinds": {
            kind: kind_stats([s for s in work.samples if s.kind == kind], elapsed) for kind in KINDS
        },
        "errors": len(errors),
        "non_2xx": sum(1 for s in work.samples if not 200 <= s.status < 300),
        "error_samples": Counter(f"{s.kind}: {s.error}" for s in errors).most_common(10),
        "ledgers": ledgers,
    }


def print_report(report: dict[str, Any]) -> None:
    total = report["total"]
    print(f"\nload test {report['started_at']}: {report['settings']}")
    print(
        f"elapsed {report['elapsed_s']} s (client CPU {report['client_cpu_s']} s), "
        f"load average before/after {report['loadavg']}"
    )
    columns = ("requests", "rps", "p50_ms", "p95_ms", "p99_ms", "max_ms", "errors")
    print(f"{'kind':<8}" + "".join(f"{c:>10}" for c in columns))
    for kind, stats in [*report["kinds"].items(), ("total", total)]:
        print(f"{kind:<8}" + "".join(f"{stats[c]!s:>10}" for c in columns))
    print(f"errors: {report['errors']}, non-2xx: {report['non_2xx']}")
    for text, count in report["error_samples"]:
        print(f"  {count} x {text}")
    ledgers = report["ledgers"]
    verdict = "ok" if ledgers["ok"] else "MISMATCH"
    print(f"ledgers: {verdict} ({ledgers['customers']} hot customers, writes {ledgers['writes']})")
    for problem in ledgers["problems"][:20]:
        print(f"  {problem}")


def git_commit() -> str:
    command = ["git", "rev-parse", "--short", "HEAD"]
    completed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    return completed.stdout.strip()


def server_log_lines(path: Path) -> list[str]:
    """The server's warnings and errors (it logs at WARNING): evidence for the report."""
    lines = path.read_text(errors="replace").splitlines() if path.exists() else []
    return [line for line in lines if line.startswith(("WARNING", "ERROR", "CRITICAL"))][:50]


# --- main ------------------------------------------------------------------------------


async def load_and_check(
    args: argparse.Namespace,
    db: Database,
    base: str,
    password: str,
    snapshot: Snapshot,
    work: Workload,
) -> tuple[float, dict[str, Any]]:
    token = await sign_in(base, password)
    await check_shapes(base, token, work)
    log(f"load: {args.clients} clients for {args.duration:.0f} s against {args.workers} workers")
    elapsed = await run_load(base, token, work, args.clients, args.duration)
    return elapsed, await check_ledgers(db, snapshot, work.writes)


async def setup_workload(db: Database) -> tuple[Snapshot, Workload]:
    conn = await asyncpg.connect(db.dsn)
    try:
        customer_ids, hot = await pick_customers(conn)
        snapshot = await take_snapshot(conn, hot)
    finally:
        await conn.close()
    balances = {name: Balances(snapshot.balances[name]) for name in LEDGERS}
    return snapshot, Workload(page_body(), detail_query(), customer_ids, hot, balances)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    RESULTS.mkdir(exist_ok=True)
    db = Database(args.pg.rstrip("/"), f"custgraph_load_{os.getpid()}")
    password = secrets.token_urlsafe(18)
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    server: subprocess.Popen[bytes] | None = None
    server_log = RESULTS / "load_test_server.log"
    asyncio.run(create_database(db))
    log(f"database {db.name} created")
    try:
        prepare_database(db, args.customers, password)
        snapshot, work = asyncio.run(setup_workload(db))
        port = free_port()
        server = start_server(db, port, args.workers, server_log)
        base = f"http://127.0.0.1:{port}"
        asyncio.run(wait_ready(server, base))
        elapsed, ledgers = asyncio.run(load_and_check(args, db, base, password, snapshot, work))
    finally:
        if server is not None:
            stop_server(server)
        if args.keep:
            log(f"kept database {db.name}")
        else:
            asyncio.run(drop_database(db))
    context = {
        "started_at": started_at,
        "commit": git_commit(),
        "server_warnings": server_log_lines(server_log),
    }
    report = build_report(args, work, elapsed, ledgers, context)
    (RESULTS / "load_test.json").write_text(json.dumps(report, indent=2) + "\n")
    print_report(report)
    passed = report["errors"] == 0 and report["non_2xx"] == 0 and ledgers["ok"]
    passed = passed and report["total"]["requests"] > 0
    print("PASS" if passed else "FAIL")
    return 0 if passed else 1


if __name__ == "__main__":
    raise SystemExit(main())
