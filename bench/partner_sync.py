"""Partner sync under load: 8 ERP clients upsert 10,000 customers by external id.

    .venv/bin/python bench/partner_sync.py [--customers 10000] [--clients 8] [--workers 2]
        [--timeout-share 0.02] [--keep] [--pg postgresql://postgres@127.0.0.1:5432]

What it does, on a throwaway PostgreSQL database (`custgraph_partner_<pid>`):

1. migrates it and creates an OWNER with the command line; starts a webhook receiver on a
   loopback port (it checks every signature and counts each delivery id) and
   `custgraph serve --workers W`, signs in and subscribes the receiver to
   `customer.created` and `customer.updated`;
2. runs the clients: each takes external ids from a shared queue and, for each, creates the
   customer with `customerUpsert` (an idempotency key per call), then a later pass updates
   every customer twice from two different clients, each writing a field of its own (city,
   then phone) with the `expectedVersion` it last saw; a CONFLICT answer is merged (the
   payload names the current version) and retried. A share of calls (--timeout-share) is
   cut off by the client before its answer arrives and sent again with the same key, as a
   partner whose call timed out does;
3. checks: one customer per external id (no duplicate), each with the city and the phone
   its clients wrote (no lost update); the change feed read from the start through
   `customerChanges` holds every change once, in strictly increasing sequence, and exactly
   the writes that changed something; every change of the subscribed types reached the
   receiver once at least, with a valid signature;
4. prints throughput and latency percentiles of the upserts, writes
   bench/results/partner_sync.json, stops everything and drops the database (unless --keep).

Any failed check makes the exit status 1.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import subprocess
import sys
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

sys.path.insert(0, str(Path(__file__).parent))
# The bench folder is not a package: its load test's helpers are imported by path.
from load_test import (
    ACCEPT,
    CLI,
    RESULTS,
    ROOT,
    Database,
    create_database,
    drop_database,
    free_port,
    log,
    percentile,
    run_cli,
    server_env,
    sign_in,
    stop_server,
    wait_ready,
)

from custgraph.webhooks.signature import verify

OWNER_PASSWORD = "partner sync bench owner password"
CALL_TIMEOUT_S = 30.0
SUBSCRIBED = ["customer.created", "customer.updated"]

UPSERT = """mutation($input: CustomerUpsertInput!) { customerUpsert(input: $input) {
  customer { id version } created conflict { currentVersion changedFields }
  userErrors { field code } } }"""
SUBSCRIBE = """mutation($input: WebhookSubscriptionCreateInput!) {
  webhookSubscriptionCreate(input: $input) { webhookSubscription { id } secret
  userErrors { field code message } } }"""
FEED = """query($after: String) { customerChanges(first: 100, after: $after) {
  pageInfo { hasNextPage endCursor }
  nodes { sequence type customerId customerVersion changedFields } } }"""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--timeout-share", type=float, default=0.02)
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--keep", action="store_true")
    return parser.parse_args(argv)


# --- the webhook receiver --------------------------------------------------------------


@dataclass
class Receiver:
    secret: str = ""
    deliveries: Counter[str] = field(default_factory=Counter)  # delivery id -> times
    sequences: set[int] = field(default_factory=set)
    bad_signatures: int = 0

    async def receive(self, request: Request) -> Response:
        body = await request.body()
        timestamp = request.headers.get("x-custgraph-timestamp", "")
        signature = request.headers.get("x-custgraph-signature", "")
        if not self.secret or not verify(self.secret, timestamp, body, signature):
            self.bad_signatures += 1
            return Response(status_code=401)
        payload = json.loads(body)
        self.deliveries[request.headers.get("x-custgraph-delivery", "")] += 1
        self.sequences.add(int(payload["sequence"]))
        return Response(status_code=204)


async def serve_receiver(receiver: Receiver, port: int) -> uvicorn.Server:
    app = Starlette(routes=[Route("/hook", receiver.receive, methods=["POST"])])
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    asyncio.get_running_loop().create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 (uvicorn offers no event to wait on)
        await asyncio.sleep(0.01)
    return server


# --- the clients -----------------------------------------------------------------------


@dataclass
class Outcome:
    latencies: list[float] = field(default_factory=list)
    calls: int = 0
    cut_off: int = 0
    conflicts: int = 0
    failures: list[str] = field(default_factory=list)
    versions: dict[str, int] = field(default_factory=dict)  # external id -> version seen
    customer_ids: dict[str, str] = field(default_factory=dict)
    expected: dict[str, dict[str, str]] = field(default_factory=lambda: defaultdict(dict))
    changing_writes: int = 0


async def call(
    client: httpx.AsyncClient,
    outcome: Outcome,
    rng: random.Random,
    fields: dict[str, Any],
    share: float,
) -> dict[str, Any]:
    """One upsert with its idempotency key; cut off and sent again now and then."""
    body = {"query": UPSERT, "variables": {"input": {**fields, "idempotencyKey": uuid.uuid4().hex}}}
    while True:
        outcome.calls += 1
        started = time.perf_counter()
        if rng.random() < share:
            # The partner gives up before the answer: the call may or may not have been
            # carried out. It sends the same call again, key and all.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(client.post("/graphql", json=body), rng.uniform(0, 0.02))
            outcome.cut_off += 1
            continue
        response = await client.post("/graphql", json=body)
        outcome.latencies.append(time.perf_counter() - started)
        answer = response.json()
        if response.status_code != 200 or answer.get("errors"):
            raise RuntimeError(f"{response.status_code}: {answer}")
        payload: dict[str, Any] = answer["data"]["customerUpsert"]
        return payload


async def create_all(
    client: httpx.AsyncClient,
    queue: asyncio.Queue[str],
    outcome: Outcome,
    rng: random.Random,
    share: float,
) -> None:
    while True:
        try:
            ext = queue.get_nowait()
        except asyncio.QueueEmpty:
            return
        payload = await call(
            client, outcome, rng, {"externalId": ext, "firstName": "Erp", "lastName": ext}, share
        )
        if payload["userErrors"]:
            outcome.failures.append(f"create {ext}: {payload['userErrors']}")
            continue
        outcome.customer_ids[ext] = payload["customer"]["id"]
        outcome.versions[ext] = payload["customer"]["version"]
        outcome.changing_writes += 1


async def update_all(
    client: httpx.AsyncClient,
    queue: asyncio.Queue[tuple[str, str, str]],
    outcome: Outcome,
    rng: random.Random,
    share: float,
) -> None:
    while True:
        try:
            ext, name, value = queue.get_nowait()
        except asyncio.QueueEmpty:
            return
        version = outcome.versions[ext]
        while True:
            payload = await call(
                client,
                outcome,
                rng,
                {"externalId": ext, name: value, "expectedVersion": version},
                share,
            )
            errors = payload["userErrors"]
            if errors and errors[0]["code"] == "CONFLICT":
                # Someone else wrote it since: this field is ours alone, so merging is
                # taking the current version and sending the field again.
                outcome.conflicts += 1
                version = payload["conflict"]["currentVersion"]
                continue
            if errors:
                outcome.failures.append(f"update {ext} {name}: {errors}")
            else:
                outcome.expected[ext][name] = value
                outcome.versions[ext] = max(outcome.versions[ext], payload["customer"]["version"])
                outcome.changing_writes += 1
            break


async def run_clients(base: str, token: str, args: argparse.Namespace, outcome: Outcome) -> float:
    headers = {"Authorization": f"Bearer {token}", "Accept": ACCEPT}
    ids = [f"ERP-{n:06d}" for n in range(args.customers)]
    started = time.perf_counter()
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=CALL_TIMEOUT_S) as client:
        creations: asyncio.Queue[str] = asyncio.Queue()
        for ext in ids:
            creations.put_nowait(ext)
        await asyncio.gather(
            *(
                create_all(client, creations, outcome, random.Random(i), args.timeout_share)
                for i in range(args.clients)
            )
        )
        # Two writers per customer, one field each, interleaved over the clients.
        updates: asyncio.Queue[tuple[str, str, str]] = asyncio.Queue()
        for n, ext in enumerate(ids):
            updates.put_nowait((ext, "city", f"City {n}"))
            updates.put_nowait((ext, "phone", f"+43 1 {2_000_000 + n}"))
        await asyncio.gather(
            *(
                update_all(client, updates, outcome, random.Random(100 + i), args.timeout_share)
                for i in range(args.clients)
            )
        )
    return time.perf_counter() - started


# --- the checks ------------------------------------------------------------------------


async def check_database(db: Database, outcome: Outcome, customers: int) -> list[str]:
    problems: list[str] = []
    connection = await asyncpg.connect(db.dsn)
    try:
        rows = await connection.fetch(
            "SELECT external_id, city, phone FROM customers WHERE external_id LIKE 'ERP-%'"
        )
    finally:
        await connection.close()
    seen = Counter(r["external_id"] for r in rows)
    if len(seen) != customers or any(n > 1 for n in seen.values()):
        problems.append(f"{len(rows)} rows for {len(seen)} external ids, {customers} expected")
    for row in rows:
        wanted = outcome.expected.get(row["external_id"], {})
        if "city" in wanted and row["city"] != wanted["city"]:
            problems.append(f"lost update: {row['external_id']} city {row['city']!r}")
        if "phone" in wanted and row["phone"] is None:
            problems.append(f"lost update: {row['external_id']} phone")
    return problems[:20]


async def read_feed(base: str, token: str) -> list[dict[str, Any]]:
    headers = {"Authorization": f"Bearer {token}", "Accept": ACCEPT}
    nodes: list[dict[str, Any]] = []
    after = None
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=CALL_TIMEOUT_S) as client:
        while True:
            answer = (
                await client.post("/graphql", json={"query": FEED, "variables": {"after": after}})
            ).json()
            page = answer["data"]["customerChanges"]
            nodes.extend(page["nodes"])
            if not page["pageInfo"]["hasNextPage"]:
                return nodes
            after = page["pageInfo"]["endCursor"]


def check_feed(changes: list[dict[str, Any]], outcome: Outcome) -> list[str]:
    problems = []
    sequences = [int(c["sequence"]) for c in changes]
    if sequences != sorted(set(sequences)):
        problems.append("the feed's sequences are not strictly increasing")
    mine = [c for c in changes if c["customerId"] in set(outcome.customer_ids.values())]
    if len(mine) != outcome.changing_writes:
        problems.append(f"{len(mine)} changes in the feed, {outcome.changing_writes} writes made")
    return problems


async def wait_for_webhooks(receiver: Receiver, wanted: set[int], limit_s: float) -> float:
    started = time.perf_counter()
    while not wanted <= receiver.sequences and time.perf_counter() - started < limit_s:  # noqa: ASYNC110
        await asyncio.sleep(0.5)
    return time.perf_counter() - started


# --- the run ---------------------------------------------------------------------------


async def subscribe(base: str, token: str, url: str) -> str:
    headers = {"Authorization": f"Bearer {token}", "Accept": ACCEPT}
    body = {"query": SUBSCRIBE, "variables": {"input": {"url": url, "eventTypes": SUBSCRIBED}}}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=CALL_TIMEOUT_S) as client:
        answer = (await client.post("/graphql", json=body)).json()
    payload = answer["data"]["webhookSubscriptionCreate"]
    if payload["userErrors"]:
        raise SystemExit(f"subscribing failed: {payload['userErrors']}")
    secret: str = payload["secret"]
    return secret


def start_server(db: Database, port: int, workers: int, log_path: Path) -> subprocess.Popen[bytes]:
    env = server_env(db)
    # The receiver listens on loopback, which subscriptions may not name by default.
    env.update(
        CUSTGRAPH_WEBHOOK_INTERVAL_SECONDS="0.2",
        CUSTGRAPH_WEBHOOK_ALLOW_PRIVATE_TARGETS="true",
        CUSTGRAPH_DELIVERY_WORKER="false",
    )
    with log_path.open("wb") as out:
        return subprocess.Popen(
            [str(CLI), "serve", "--port", str(port), "--workers", str(workers)],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


async def run(args: argparse.Namespace) -> int:
    db = Database(args.pg, f"custgraph_partner_{os.getpid()}")
    await create_database(db)
    RESULTS.mkdir(exist_ok=True)
    server = None
    receiver = Receiver()
    hook_server = await serve_receiver(receiver, hook_port := free_port())
    try:
        env = server_env(db)
        run_cli(env, "migrate")
        run_cli(
            env,
            "staff",
            "create",
            "--email",
            "load-owner@bench.example",
            "--role",
            "OWNER",
            "--password",
            OWNER_PASSWORD,
        )
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = start_server(db, port, args.workers, RESULTS / "partner_sync_server.log")
        await wait_ready(server, base)
        token = await sign_in(base, OWNER_PASSWORD)
        receiver.secret = await subscribe(base, token, f"http://127.0.0.1:{hook_port}/hook")
        outcome = Outcome()
        log(f"{args.clients} clients upsert {args.customers} customers, then update each twice")
        elapsed = await run_clients(base, token, args, outcome)
        problems = list(outcome.failures[:20])
        problems += await check_database(db, outcome, args.customers)
        changes = await read_feed(base, token)
        problems += check_feed(changes, outcome)
        wanted = {int(c["sequence"]) for c in changes if c["type"] in SUBSCRIBED}
        waited = await wait_for_webhooks(receiver, wanted, 300)
        missing = wanted - receiver.sequences
        if missing:
            problems.append(f"{len(missing)} changes never reached the webhook receiver")
        if receiver.bad_signatures:
            problems.append(f"{receiver.bad_signatures} webhooks with a bad signature")
        latencies = sorted(outcome.latencies)
        report = {
            "customers": args.customers,
            "clients": args.clients,
            "workers": args.workers,
            "calls": outcome.calls,
            "cut_off_and_retried": outcome.cut_off,
            "conflicts_merged": outcome.conflicts,
            "seconds": round(elapsed, 1),
            "upserts_per_second": round(len(latencies) / elapsed, 1),
            "p50_ms": round(1000 * percentile(latencies, 0.50), 1),
            "p99_ms": round(1000 * percentile(latencies, 0.99), 1),
            "feed_changes": len(changes),
            "webhooks_delivered": len(receiver.deliveries),
            "webhooks_delivered_more_than_once": sum(
                1 for n in receiver.deliveries.values() if n > 1
            ),
            "webhook_catch_up_seconds": round(waited, 1),
            "problems": problems,
        }
        (RESULTS / "partner_sync.json").write_text(json.dumps(report, indent=2) + "\n")
        print(json.dumps(report, indent=2))
        return 1 if problems else 0
    finally:
        if server is not None:
            stop_server(server)
        hook_server.should_exit = True
        if not args.keep:
            await drop_database(db)


def main(argv: list[str] | None = None) -> int:
    return asyncio.run(run(parse_args(argv)))


if __name__ == "__main__":
    raise SystemExit(main())
