"""custgraph in-process on the loaded bench database: statements, SQL time, latency, profile.

    .venv/bin/python bench/inprocess.py [--url postgresql://…/custgraph_bench] [--requests 20]
        [--profile page] [--profile-requests 20]

Builds the app (`custgraph.app.create_app`) and calls it through httpx's ASGI transport
(no sockets, no uvicorn), as the OWNER staff user that `load_reference.py` created. For each
shape in bench/queries/cg_*.json it reports:

- the SQL statements one request runs (counted with a `before_cursor_execute` listener,
  the pattern of tests/support/statements.py) and their first words;
- the median in-process latency over --requests requests;
- "SQL alone": the same statements with the same parameters replayed one after the other
  on one connection with nothing else running (round trips, execution and asyncpg's row
  decoding, without SQLAlchemy's result processing), median over --requests replays.
  Latency minus that is, roughly, the Python above the driver. (Timing the DBAPI execute
  inside a request would overstate SQL: while one statement awaits the network, the event
  loop runs other resolvers.)

With --profile SHAPE it then runs pyinstrument over --profile-requests requests of that
shape and prints the call tree (trimmed) and the functions with the most own time; the full
HTML/text output goes to bench/results/.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
from sqlalchemy import event, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from custgraph.app import GC_YOUNG_THRESHOLD, create_app
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
        self.parameters: list[Any] = []


@contextmanager
def recorded(engine: AsyncEngine) -> Iterator[SqlLog]:
    """The statements (and DBAPI parameters) run on `engine`, as tests/support/statements.py."""
    log = SqlLog()

    def before(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
        log.statements.append(statement)
        log.parameters.append(parameters)

    event.listen(engine.sync_engine, "before_cursor_execute", before)
    try:
        yield log
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", before)


async def replay(engine: AsyncEngine, log: SqlLog, times: int) -> float:
    """Median seconds to run the logged statements one after the other, rows fetched."""
    took = []
    async with engine.connect() as connection:
        for _ in range(times + 2):  # two warm-up rounds: prepared statements, caches
            started = time.perf_counter()
            for statement, parameters in zip(log.statements, log.parameters, strict=True):
                (await connection.exec_driver_sql(statement, parameters)).all()
            took.append(time.perf_counter() - started)
    return statistics.median(took[2:])


def first_words(statement: str) -> str:
    words = " ".join(statement.split())
    if words.startswith("SELECT"):
        frm = words.find(" FROM ")
        rest = words[frm : frm + 90] if frm >= 0 else words[:90]
        return f"SELECT … {rest.strip()}"
    return words[:100]


LAYERS = (
    ("/graphql/", "graphql-core (execution)"),
    ("/strawberry/", "strawberry"),
    ("/sqlalchemy/", "SQLAlchemy"),
    ("/asyncpg/", "asyncpg"),
    ("/aiodataloader", "aiodataloader"),
    ("/custgraph/", "custgraph (resolvers, loaders, types)"),
    ("/json/", "json (stdlib: cursors)"),
    ("/orjson", "orjson"),
    ("/httpx/", "httpx + ASGI transport (bench client)"),
    ("/httpcore/", "httpx + ASGI transport (bench client)"),
    ("/starlette/", "starlette"),
    ("/asyncio/", "asyncio event loop"),
    ("/uvloop/", "asyncio event loop"),
)


def layer_of(path: str) -> str:
    for marker, name in LAYERS:
        if marker in path:
            return name
    return "other (" + (Path(path).name or "?") + ")"


def own_time(root: Any) -> tuple[dict[str, float], dict[str, float]]:
    """Own (self) time per library layer and per function, from a pyinstrument frame tree.

    Time in synthetic frames goes to the nearest real frame; `[await]` time (the profiled
    coroutine waiting for I/O) is its own layer.
    """
    layers: dict[str, float] = {}
    functions: dict[str, float] = {}
    stack = [(root, root.file_path or "", f"{root.function}")]
    while stack:
        frame, owner, label = stack.pop()
        if frame.is_synthetic:
            own = frame.time
            name = "waiting ([await]: I/O, database)" if "await" in frame.identifier else None
        else:
            own = frame.time - sum(c.time for c in frame.children)
            owner = frame.file_path or owner
            label = f"{frame.function}  {frame.file_path_short}:{frame.line_no}"
            name = None
        layer = name or layer_of(owner)
        layers[layer] = layers.get(layer, 0.0) + own
        if name is None:
            functions[label] = functions.get(label, 0.0) + own
        if not frame.is_synthetic:
            stack.extend((c, owner, label) for c in frame.children)
    return layers, functions


async def run(args: argparse.Namespace) -> dict[str, Any]:
    url = make_url(args.url).set(drivername="postgresql+asyncpg").render_as_string(False)
    # Rate limiting off: the references have none, and a benchmark would run out of points.
    settings = Settings(
        database_url=url,
        secret_key=SECRET,
        log_level="WARNING",
        graphiql_enabled=False,
        rate_limit_enabled=False,
        compiled_reads=not args.general_path,
    )
    app = create_app(settings)
    # httpx's ASGI transport runs no lifespan: apply the server's start-up GC settings here.
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])
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
            answer = orjson.loads(response.content)
            if response.status_code != 200 or answer.get("errors"):
                raise SystemExit(f"{shape}: {response.status_code} {str(answer)[:300]}")

        for shape in SHAPES:
            for _ in range(3):  # warm: parser/validation caches, prepared statements, pool
                await call(shape)
            with recorded(engine) as one:
                await call(shape)
            times, cpu = [], []
            for _ in range(args.requests):
                started, started_cpu = time.perf_counter(), time.process_time()
                await call(shape)
                times.append(time.perf_counter() - started)
                cpu.append(time.process_time() - started_cpu)
            median = statistics.median(times)
            sql = await replay(engine, one, args.requests)
            report[shape] = {
                "statements": len(one.statements),
                "median_ms": round(median * 1000, 1),
                # CPU of this process alone: steadier than wall time on a shared machine.
                "cpu_ms": round(statistics.median(cpu) * 1000, 2),
                "sql_alone_ms": round(sql * 1000, 1),
                "statement_heads": [first_words(s) for s in one.statements],
            }
            print(
                f"{shape}: {len(one.statements)} statements per request; in-process median "
                f"{median * 1000:.1f} ms (CPU {report[shape]['cpu_ms']:.1f} ms) over "
                f"{args.requests} requests; the same statements "
                f"replayed alone: {sql * 1000:.1f} ms ({sql / median:.0%}); the rest is Python"
            )
            for head in report[shape]["statement_heads"]:
                print(f"    {head}")
        if args.curve:
            report["curve"] = await page_size_curve(client, headers, engine, args.requests)

        if args.profile:
            from pyinstrument import Profiler
            from pyinstrument.renderers import ConsoleRenderer

            profiler = Profiler(interval=0.001, async_mode="enabled")
            profiler.start()
            started = time.perf_counter()
            for _ in range(args.profile_requests):
                await call(args.profile)
            elapsed = time.perf_counter() - started
            profiler.stop()
            RESULTS.mkdir(exist_ok=True)
            session = profiler.last_session
            tree = profiler.output(ConsoleRenderer(unicode=True, color=False, show_all=False))
            layers, functions = own_time(session.root_frame())
            total = sum(layers.values())
            ranked = sorted(layers.items(), key=lambda x: -x[1])
            shown = [(n, t) for n, t in ranked if t / total >= 0.005]
            rest = total - sum(t for _, t in shown)
            layer_lines = [
                f"  {name:<40}{t:>8.3f} s {t / total:>6.1%}"
                for name, t in [*shown, (f"{len(ranked) - len(shown)} more, each < 0.5%", rest)]
            ]
            function_lines = [
                f"  {t:>7.3f} s {t / total:>6.1%}  {name}"
                for name, t in sorted(functions.items(), key=lambda x: -x[1])[: args.flat_lines]
            ]
            (RESULTS / f"profile_{args.profile}.txt").write_text(
                "\n".join(
                    [
                        tree,
                        "own time by layer:",
                        *layer_lines,
                        "",
                        "own time by function:",
                        *function_lines,
                    ]
                )
            )
            (RESULTS / f"profile_{args.profile}.html").write_text(profiler.output_html())
            print(
                f"\npyinstrument: {args.profile_requests} {args.profile} requests in "
                f"{elapsed:.2f} s ({elapsed / args.profile_requests * 1000:.1f} ms each, "
                f"profiler overhead included); {session.sample_count} samples; full output in "
                f"{RESULTS / f'profile_{args.profile}.txt'} and .html"
            )
            print("\n--- own time by layer (where the CPU goes) ---")
            print("\n".join(layer_lines))
            print("\n--- own time, top functions ---")
            print("\n".join(function_lines))
            print("\n--- call tree (trimmed) ---")
            print("\n".join(tree.splitlines()[: args.tree_lines]))
    await engine.dispose()
    return report


async def page_size_curve(
    client: httpx.AsyncClient, headers: dict[str, str], engine: AsyncEngine, requests: int
) -> list[dict[str, Any]]:
    """The list page at 10 to 100 customers: statements, cost and time per request."""
    page = json.loads((HERE / "queries" / "cg_page.json").read_text())
    rows = []
    print("\npage size curve (the page shape with first: N)")
    print(
        "      N  statements  requested cost  actual cost  median ms  CPU ms  CPU ms per customer"
    )
    for size in (10, 25, 50, 75, 100):
        body = orjson.dumps({**page, "query": page["query"].replace("first: 50", f"first: {size}")})
        for _ in range(3):
            await client.post("/graphql", content=body, headers=headers)
        with recorded(engine) as one:
            answer = orjson.loads(
                (await client.post("/graphql", content=body, headers=headers)).content
            )
        cost = answer["extensions"]["cost"]
        times, cpu = [], []
        for _ in range(requests):
            started, started_cpu = time.perf_counter(), time.process_time()
            await client.post("/graphql", content=body, headers=headers)
            times.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
        row = {
            "size": size,
            "statements": len(one.statements),
            "requested_cost": cost["requestedQueryCost"],
            "actual_cost": cost["actualQueryCost"],
            "median_ms": round(statistics.median(times) * 1000, 2),
            "cpu_ms": round(statistics.median(cpu) * 1000, 2),
        }
        rows.append(row)
        print(
            f"  {size:>5}  {row['statements']:>10}  {row['requested_cost']:>14}  "
            f"{row['actual_cost']:>11}  {row['median_ms']:>9}  {row['cpu_ms']:>6}  "
            f"{row['cpu_ms'] / size:>8.3f}"
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", default=DEFAULT_URL)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--profile", choices=SHAPES)
    parser.add_argument("--profile-requests", type=int, default=20)
    parser.add_argument("--tree-lines", type=int, default=60)
    parser.add_argument("--flat-lines", type=int, default=25)
    parser.add_argument(
        "--general-path", action="store_true", help="serve without the compiled read path"
    )
    parser.add_argument(
        "--curve", action="store_true", help="also time the page at 10, 25, 50, 75, 100 customers"
    )
    parser.add_argument("--json", type=Path, help="also write the report as JSON here")
    args = parser.parse_args()
    report = asyncio.run(run(args))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
