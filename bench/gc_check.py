"""What Python's garbage collector costs custgraph, in-process on the loaded bench database.

    .venv/bin/python bench/gc_check.py [--url postgresql://…/custgraph_bench] [--seconds 8]

Needs `load_reference.py` to have run. Builds the app in-process (httpx ASGI transport, no
sockets) as the bench OWNER and reports:

1. per shape, how many objects one request leaves in reference cycles (freed only by the
   cyclic collector), by type;
2. the collector's pauses per generation over 400 detail requests, next to their latency;
3. page requests for --seconds at 1 and at 16 concurrent requests, with the default collector
   and with `gc.freeze()` after warm-up: req/s, CPU ms per request, share of wall time
   inside collections (gc callbacks).

Each load loop stops after --seconds. Run it on a quiet machine: it measures CPU time.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import gc
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent


def client_factory(url: str) -> Any:
    from datetime import timedelta

    import httpx
    from sqlalchemy import select
    from sqlalchemy.engine import make_url

    from custgraph.app import create_app
    from custgraph.auth.tokens import issue_token
    from custgraph.db.models import StaffUser
    from custgraph.settings import Settings

    secret = "bench-gc-check-secret-for-loopback-only"
    async_url = make_url(url).set(drivername="postgresql+asyncpg").render_as_string(False)

    async def make() -> tuple[Any, dict[str, str], Any]:
        app = create_app(
            Settings(
                database_url=async_url,
                secret_key=secret,
                log_level="WARNING",
                rate_limit_enabled=False,
            )
        )
        engine = app.state.custgraph.engine
        async with engine.connect() as connection:
            owner = (
                await connection.execute(
                    select(StaffUser.id, StaffUser.token_version).where(
                        StaffUser.email == "bench-owner@bench.example"
                    )
                )
            ).one()
        token, _ = issue_token(secret, "staff", owner.id, owner.token_version, timedelta(hours=1))
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://b")
        return client, headers, engine

    return make


def body(shape: str) -> bytes:
    return (HERE / "queries" / f"cg_{shape}.json").read_bytes()


async def cycles(url: str) -> None:
    client, headers, engine = await client_factory(url)()
    for shape in ("page", "detail", "flat"):
        for _ in range(3):
            await client.post("/graphql", content=body(shape), headers=headers)
        gc.collect()
        gc.set_debug(gc.DEBUG_SAVEALL)
        await client.post("/graphql", content=body(shape), headers=headers)
        gc.collect()
        types = collections.Counter(type(o).__qualname__ for o in gc.garbage)
        count = len(gc.garbage)
        gc.set_debug(0)
        gc.garbage.clear()
        top = ", ".join(f"{n} {t}" for t, n in types.most_common(6))
        print(f"  {shape:<7} one request leaves {count:>5} objects in cycles: {top}")
    await client.aclose()
    await engine.dispose()


async def pauses(url: str) -> None:
    client, headers, engine = await client_factory(url)()
    for _ in range(20):
        await client.post("/graphql", content=body("detail"), headers=headers)
    by_generation: dict[int, list[float]] = {0: [], 1: [], 2: []}
    started = [0.0]

    def callback(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            started[0] = time.perf_counter()
        else:
            by_generation[info["generation"]].append((time.perf_counter() - started[0]) * 1000)

    gc.callbacks.append(callback)
    latency = []
    try:
        for _ in range(400):
            t = time.perf_counter()
            await client.post("/graphql", content=body("detail"), headers=headers)
            latency.append((time.perf_counter() - t) * 1000)
    finally:
        gc.callbacks.remove(callback)
    latency.sort()
    print(
        f"  400 detail requests: p50 {latency[200]:.1f} ms, p99 {latency[396]:.1f} ms,"
        f" max {latency[-1]:.1f} ms"
    )
    for generation, values in by_generation.items():
        if values:
            print(
                f"    gen {generation}: {len(values):>4} collections, median"
                f" {statistics.median(values):.2f} ms, max {max(values):.1f} ms"
            )
    await client.aclose()
    await engine.dispose()


async def load(url: str, concurrency: int, freeze: bool, seconds: float) -> str:
    client, headers, engine = await client_factory(url)()
    payload = body("page")
    for _ in range(3):
        await client.post("/graphql", content=payload, headers=headers)
    if freeze:
        gc.collect()
        gc.freeze()
    in_gc, started = [0.0], [0.0]

    def callback(phase: str, _info: dict[str, Any]) -> None:
        if phase == "start":
            started[0] = time.perf_counter()
        else:
            in_gc[0] += time.perf_counter() - started[0]

    done = 0
    stop = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal done
        while time.perf_counter() < stop:
            await client.post("/graphql", content=payload, headers=headers)
            done += 1

    gc.callbacks.append(callback)
    wall0, cpu0 = time.perf_counter(), time.process_time()
    try:
        await asyncio.gather(*(worker() for _ in range(concurrency)))
    finally:
        gc.callbacks.remove(callback)
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    await client.aclose()
    await engine.dispose()
    return (
        f"  page, {concurrency:>2} concurrent, {'gc.freeze()' if freeze else 'default gc '}:"
        f" {done / wall:5.1f} req/s, CPU {cpu / done * 1000:5.1f} ms/request,"
        f" {in_gc[0] / wall:4.0%} of wall time in gc"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", default="postgresql://postgres@127.0.0.1:5432/custgraph_bench")
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--one", nargs=2, metavar=("CONCURRENCY", "FREEZE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:  # a load run in a fresh interpreter, so runs do not share a heap
        print(asyncio.run(load(args.url, int(args.one[0]), args.one[1] == "1", args.seconds)))
        return
    print("objects left in reference cycles:")
    asyncio.run(cycles(args.url))
    print("collector pauses:")
    asyncio.run(pauses(args.url))
    print(f"page load for {args.seconds:.0f} s each (fresh interpreter per run):")
    for concurrency in (1, 16):
        for freeze in ("0", "1"):
            subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--url",
                    args.url,
                    "--seconds",
                    str(args.seconds),
                    "--one",
                    str(concurrency),
                    freeze,
                ],
                check=True,
                timeout=args.seconds + 60,
            )


if __name__ == "__main__":
    main()
