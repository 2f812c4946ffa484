"""custgraph in-process on the loaded bench database: statements, SQL time, latency, profile.

    .venv/bin/python bench/inprocess.py [--url postgresql://…/custgraph_bench] [--requests 20]
        [--profile page] [--profile-requests 20]

Builds the app (`custgraph.app.create_app`) and calls it through httpx's ASGI transport
(no sockets, no uvicorn), as the OWNER staff user that `load_reference.py` created. For each
shape in bench/queries/cg_*.json it reports:

- the SQL statements one request runs (counted with a `before_cursor_execute` listener,
  the pattern of tests/support/statements.py) and their first words;
- the median in-process latency over --requests requests, and how much of it is spent
  inside the DBAPI's execute (round trip + asyncpg's row decoding), the rest being Python.

With --profile SHAPE it then runs pyinstrument over --profile-requests requests of that
shape and prints the call tree (trimmed) and the functions with the most own time; the full
HTML/text output goes to bench/results/.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import event, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from custgraph.app import create_app
from custgraph.auth.tokens import issue_token
from custgraph.db.models import StaffUser
from custgraph.settings import Settings

HERE = Path(__file__).parent
RESULTS = HERE / "results"
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/custgraph_bench"
OWNER_EMAIL = "bench-owner@bench.example"
SECRET = "bench-secret-in-process-for-loopback-only"
SHAPES = ("page", "detail", "flat")


class SqlLog:
    def __init__(self) -> None:
        self.statements: list[str] = []
        self.seconds = 0.0


@contextmanager
def recorded(engine: AsyncEngine) -> Iterator[SqlLog]:
    log = SqlLog()
    started: list[float] = []

    def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        log.statements.append(statement)
        started.append(time.perf_counter())

    def after(*_args: Any) -> None:
        log.seconds += time.perf_counter() - started.pop()

    event.listen(engine.sync_engine, "before_cursor_execute", before)
    event.listen(engine.sync_engine, "after_cursor_execute", after)
    try:
        yield log
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", before)
        event.remove(engine.sync_engine, "after_cursor_execute", after)


def first_words(statement: str) -> str:
    words = " ".join(statement.split())
    if words.startswith("SELECT"):
        frm = words.find(" FROM ")
        rest = words[frm : frm + 90] if frm >= 0 else words[:90]
        return f"SELECT … {rest.strip()}"
    return words[:100]


async def run(args: argparse.Namespace) -> dict[str, Any]:
    url = make_url(args.url).set(drivername="postgresql+asyncpg").render_as_string(False)
    settings = Settings(
        database_url=url, secret_key=SECRET, log_level="WARNING", graphiql_enabled=False
    )
    app = create_app(settings)
    engine: AsyncEngine = app.state.custgraph.engine
    async with engine.connect() as connection:
        owner = (
            await connection.execute(
                select(StaffUser.id, StaffUser.token_version).where(StaffUser.email == OWNER_EMAIL)
            )
        ).one()
    token, _ = issue_token(SECRET, "staff", owner.id, owner.token_version, timedelta(hours=1))
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    bodies = {s: (HERE / "queries" / f"cg_{s}.json").read_bytes() for s in SHAPES}
    report: dict[str, Any] = {}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:

        async def call(shape: str) -> None:
            response = await client.post("/graphql", content=bodies[shape], headers=headers)
            answer = response.json()
            if response.status_code != 200 or answer.get("errors"):
                raise SystemExit(f"{shape}: {response.status_code} {str(answer)[:300]}")

        for shape in SHAPES:
            for _ in range(3):  # warm: parser/validation caches, prepared statements, pool
                await call(shape)
            with recorded(engine) as one:
                await call(shape)
            times, sql = [], []
            for _ in range(args.requests):
                with recorded(engine) as log:
                    started = time.perf_counter()
                    await call(shape)
                    times.append(time.perf_counter() - started)
                sql.append(log.seconds)
            median = statistics.median(times)
            report[shape] = {
                "statements": len(one.statements),
                "median_ms": round(median * 1000, 1),
                "sql_ms": round(statistics.median(sql) * 1000, 1),
                "statement_heads": [first_words(s) for s in one.statements],
            }
            print(
                f"{shape}: {len(one.statements)} statements per request; in-process median "
                f"{median * 1000:.1f} ms over {args.requests} requests, of which "
                f"{statistics.median(sql) * 1000:.1f} ms inside the DBAPI execute "
                f"(the rest is Python)"
            )
            for head in report[shape]["statement_heads"]:
                print(f"    {head}")

        if args.profile:
            from pyinstrument import Profiler
            from pyinstrument.renderers import ConsoleRenderer

            profiler = Profiler(interval=0.0005, async_mode="enabled")
            profiler.start()
            started = time.perf_counter()
            for _ in range(args.profile_requests):
                await call(args.profile)
            elapsed = time.perf_counter() - started
            profiler.stop()
            RESULTS.mkdir(exist_ok=True)
            session = profiler.last_session
            tree = profiler.output(ConsoleRenderer(unicode=True, color=False, show_all=False))
            flat = profiler.output(
                ConsoleRenderer(unicode=True, color=False, flat=True, show_all=True)
            )
            (RESULTS / f"profile_{args.profile}.txt").write_text(tree + "\n\n" + flat)
            (RESULTS / f"profile_{args.profile}.html").write_text(profiler.output_html())
            print(
                f"\npyinstrument: {args.profile_requests} {args.profile} requests in "
                f"{elapsed:.2f} s ({elapsed / args.profile_requests * 1000:.1f} ms each);"
                f" {session.sample_count} samples; full output in "
                f"{RESULTS / f'profile_{args.profile}.txt'} and .html"
            )
            print("\n--- call tree (trimmed) ---")
            print("\n".join(tree.splitlines()[: args.tree_lines]))
            print("\n--- own time, top functions ---")
            print("\n".join(flat.splitlines()[: args.flat_lines]))
    await engine.dispose()
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", default=DEFAULT_URL)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--profile", choices=SHAPES)
    parser.add_argument("--profile-requests", type=int, default=20)
    parser.add_argument("--tree-lines", type=int, default=70)
    parser.add_argument("--flat-lines", type=int, default=40)
    parser.add_argument("--json", type=Path, help="also write the report as JSON here")
    args = parser.parse_args()
    report = asyncio.run(run(args))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
