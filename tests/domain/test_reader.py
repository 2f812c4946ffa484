"""The read side's connection per request (db/reader.py) on the app's pooled read engine."""

from __future__ import annotations

import asyncio
import contextlib
import warnings
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest
from sqlalchemy import event, func, literal, select, text
from sqlalchemy.util.concurrency import greenlet_spawn

from custgraph.db import kept_connection
from custgraph.db.direct import direct
from custgraph.db.engine import create_engine
from custgraph.db.models import Customer
from custgraph.db.reader import Reader
from custgraph.seed import seed_customers
from tests.conftest import settings_for
from tests.support.databases import Databases, asyncpg_dsn, backend

PLAN_MODE = text("SELECT current_setting('plan_cache_mode')")


@pytest.mark.skipif(
    backend() != "postgresql",
    reason="plan_cache_mode is PostgreSQL's (set CUSTGRAPH_TEST_POSTGRES)",
)
async def test_custom_plans_last_for_the_request_and_never_reach_the_next_one(
    databases: Databases,
) -> None:
    url = await databases.create("reader_plans")
    # One pooled connection, so the next request gets the very connection back.
    engine = create_engine(settings_for(url, db_pool_size=1))
    try:
        searching = Reader(engine)
        await searching.prefer_custom_plans()
        assert await searching.scalar(PLAN_MODE) == "force_custom_plan"
        await searching.close()

        after = Reader(engine)
        assert await after.scalar(PLAN_MODE) == "auto"
        await after.close()
    finally:
        await engine.dispose()


async def test_a_closed_reader_opens_no_connection(databases: Databases) -> None:
    url = await databases.create("reader_closed")
    engine = create_engine(settings_for(url))
    try:
        reader = Reader(engine)
        assert await reader.scalar(text("SELECT 1")) == 1
        await reader.close()
        with pytest.raises(RuntimeError, match="closed"):
            await reader.scalar(text("SELECT 1"))
        assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    finally:
        await engine.dispose()


async def _every_marked_read(reader: Reader) -> list[tuple[tuple[str, ...], list[tuple[Any, ...]]]]:
    """The rows of every statement shape that may run on the driver directly."""
    from custgraph.loaders.cursor import encode_cursor
    from custgraph.loaders.customer_list import (
        SORT_KEYS,
        CustomerListFilter,
        count_customers,
        fetch_customer_page,
    )
    from custgraph.loaders.registry import PAGED_RELATIONS, Loaders

    loaders = Loaders(reader)
    ids = [row.id for row in await reader.all(select(Customer.id).order_by(Customer.id))]
    batches: list[Sequence[Any]] = []
    for keys in (ids, ids[:1]):
        batches.append(await loaders.customer.batch_load_fn(keys))
        for loader in (loaders.addresses, loaders.gift_cards, loaders.memberships):
            batches.extend(await loader.batch_load_fn(keys))
        batches.extend(await loaders.custom_fields.batch_load_fn(keys))
        for relation, (_table, sort) in PAGED_RELATIONS.items():
            first = await loaders.page(relation, 3, None).batch_load_fn(keys)
            batches.extend(first)
            newest = next((rows[0] for rows in first if rows), None)
            if newest is not None:
                after = (getattr(newest, sort), newest.id)
                batches.extend(await loaders.page(relation, 3, after).batch_load_fn(keys))
            batches.append([(n,) for n in await loaders.count(relation).batch_load_fn(keys)])
    plain = CustomerListFilter()
    for sort in SORT_KEYS:
        for descending in (False, True):
            first = await fetch_customer_page(
                reader, plain, sort=sort, descending=descending, size=4,
                backward=False, after=None, before=None,
            )  # fmt: skip
            middle = first.rows[1]
            cursor = encode_cursor(sort, *SORT_KEYS[sort].values(middle), middle.id)
            batches.append(first.rows)
            for backward, after, before in ((False, cursor, None), (True, None, cursor)):
                page = await fetch_customer_page(
                    reader, plain, sort=sort, descending=descending, size=4,
                    backward=backward, after=after, before=before,
                )  # fmt: skip
                batches.append(page.rows)
    batches.append([(await count_customers(reader, plain),)])
    return [
        (tuple(getattr(rows[0], "_fields", ())) if rows else (), [tuple(r) for r in rows])
        for rows in batches
    ]


@pytest.mark.skipif(
    backend() != "postgresql", reason="direct reads are PostgreSQL's (set CUSTGRAPH_TEST_POSTGRES)"
)
async def test_reads_on_the_driver_directly_equal_sqlalchemys(databases: Databases) -> None:
    url = await databases.create("reader_direct")
    settings = settings_for(url)
    seeding = create_engine(settings, pooled=False)
    try:
        await seed_customers(seeding, 12, 3, currency=settings.currency)
    finally:
        await seeding.dispose()
    direct_engine, through_sqlalchemy = create_engine(settings), create_engine(settings)
    # Any listener sends everything through SQLAlchemy, as tracing does.
    event.listen(through_sqlalchemy.sync_engine, "before_cursor_execute", lambda *_: None)
    try:
        direct_reader, plain_reader = Reader(direct_engine), Reader(through_sqlalchemy)
        assert direct_reader._direct_allowed and not plain_reader._direct_allowed
        direct_rows = await _every_marked_read(direct_reader)
        plain_rows = await _every_marked_read(plain_reader)
        await direct_reader.close()
        await plain_reader.close()
    finally:
        await direct_engine.dispose()
        await through_sqlalchemy.dispose()
    assert sum(len(rows) for _, rows in direct_rows) > 200
    assert direct_rows == plain_rows
    # Equal datetimes may differ in their zone; the answers' text would not.
    moments = [v for _, rows in direct_rows for row in rows for v in row if isinstance(v, datetime)]
    assert moments and all(m.tzinfo is UTC for m in moments)


@pytest.mark.parametrize(
    "statement",
    # Through SQLAlchemy's Connection, and (on PostgreSQL) on the pool's connection alone.
    [text("SELECT 1"), direct(select(literal(1)))],
    ids=["sqlalchemy", "direct"],
)
async def test_a_read_still_connecting_when_the_request_ends_gives_its_connection_back(
    databases: Databases, statement: Any
) -> None:
    """A loader's batch runs in a task of its own (aiodataloader) and may still be opening
    the connection when the request closes its reader; that connection must go back to
    the pool, not to the garbage collector (found by the fuzzer: "non-checked-in
    connection")."""
    engine = create_engine(settings_for(await databases.create("reader_late")))
    try:
        for turns in range(8):
            await engine.dispose()  # a cold pool: opening takes several turns of the loop
            reader = Reader(engine)
            late = asyncio.ensure_future(reader.scalar(statement))
            for _ in range(turns + 1):
                await asyncio.sleep(0)
            await reader.close()
            try:
                await late
            except RuntimeError as error:
                assert "closed" in str(error)
            left_out = engine.pool.checkedout() - kept_connection.count(engine)  # type: ignore[attr-defined]
            assert left_out == 0, f"left out after {turns} turns"
    finally:
        await engine.dispose()


async def test_a_read_still_running_when_the_request_ends_finishes_before_its_connection_goes_back(
    databases: Databases,
) -> None:
    """Given back while a statement still runs on it, the connection could be handed to
    the next request mid-statement: the reader waits for the statement first."""
    engine = create_engine(settings_for(await databases.create("reader_running")))
    slow = text(
        "SELECT pg_sleep(0.3), 1"
        if backend() == "postgresql"
        else "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1500000)"
        " SELECT count(*), 1 FROM c"
    )
    try:
        reader = Reader(engine)
        assert await reader.scalar(text("SELECT 1")) == 1  # the connection is open
        running = asyncio.ensure_future(reader.all(slow))
        for _ in range(5):
            await asyncio.sleep(0)
        await reader.close()
        assert running.done() and running.result()[0][1] == 1
        assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]
        after = Reader(engine)
        assert await after.scalar(text("SELECT 2")) == 2
        await after.close()
    finally:
        await engine.dispose()


BACKEND_PID = direct(select(func.pg_backend_pid()))
SLOW_DIRECT = direct(select(func.pg_sleep(0.05), literal(1)))
needs_postgres = pytest.mark.skipif(
    backend() != "postgresql", reason="direct reads are PostgreSQL's (set CUSTGRAPH_TEST_POSTGRES)"
)


@needs_postgres
async def test_direct_and_sqlalchemy_reads_of_a_request_share_its_one_connection(
    databases: Databases,
) -> None:
    # Direct reads hold the pool's connection alone; a statement through SQLAlchemy
    # then takes that very connection over, with what was set on it.
    engine = create_engine(settings_for(await databases.create("reader_one")))
    try:
        reader = Reader(engine)
        first = await reader.scalar(BACKEND_PID)
        await reader.prefer_custom_plans()  # through SQLAlchemy
        assert await reader.scalar(PLAN_MODE) == "force_custom_plan"
        assert await reader.scalar(text("SELECT pg_backend_pid()")) == first
        assert await reader.scalar(BACKEND_PID) == first
        assert reader.statement_count == 5
        await reader.close()
        assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]
        after = Reader(engine)
        assert await after.scalar(PLAN_MODE) == "auto"  # reset before it went back
        await after.close()
    finally:
        await engine.dispose()


@needs_postgres
async def test_direct_reads_beyond_the_pool_wait_for_a_connection_without_stalling_the_loop(
    databases: Databases,
) -> None:
    # The pool connects, and makes the ninth reader wait, inside a greenlet: taken
    # outside one, either would fail or block the event loop.
    engine = create_engine(settings_for(await databases.create("reader_wait"), db_pool_size=2))
    engine.sync_engine.pool._max_overflow = 0  # type: ignore[attr-defined]
    ticks = 0

    async def ticking() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.005)
            ticks += 1

    async def one() -> int:
        reader = Reader(engine)
        try:
            return int((await reader.all(SLOW_DIRECT))[0][1])
        finally:
            await reader.close()

    ticker = asyncio.ensure_future(ticking())
    try:
        assert await asyncio.gather(*(one() for _ in range(9))) == [1] * 9
        # Five turns of two connections at 50 ms each: the loop ran on meanwhile.
        assert ticks >= 20
        pool = engine.sync_engine.pool
        # One kept for the next direct read (db/kept_connection.py), one in the pool.
        assert kept_connection.count(engine) == 1
        assert pool.checkedout() == 1 and pool.checkedin() == 1  # type: ignore[attr-defined]
    finally:
        ticker.cancel()
        await engine.dispose()


@needs_postgres
async def test_an_idle_connection_that_must_reconnect_is_reconnected_quietly(
    databases: Databases,
) -> None:
    # A connection invalidated after a failure waits in the pool without its driver
    # connection: the quick checkout cannot reconnect it and leaves it to a greenlet.
    engine = create_engine(settings_for(await databases.create("reader_stale"), db_pool_size=1))
    try:
        reader = Reader(engine)
        first = await reader.scalar(BACKEND_PID)
        await reader.close()
        kept = kept_connection.take(engine)  # back in the pool, for the stale checkout
        assert kept is not None
        await greenlet_spawn(kept.close)
        pool = engine.sync_engine.pool
        stale = await greenlet_spawn(pool.connect)
        await greenlet_spawn(stale.invalidate)
        await greenlet_spawn(stale.close)
        assert pool.checkedin() == 1  # type: ignore[attr-defined]
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            reader = Reader(engine)
            again = await reader.scalar(BACKEND_PID)
            await reader.close()
        assert again != first  # a new server process: it was connected again
        assert not [w for w in caught if issubclass(w.category, RuntimeWarning)]
        assert kept_connection.count(engine) == 1
        assert pool.checkedout() == 1 and pool.checkedin() == 0  # type: ignore[attr-defined]
    finally:
        await engine.dispose()


@contextlib.asynccontextmanager
async def _admin(url: str) -> AsyncIterator[asyncpg.Connection]:
    """A connection of the test's own to the database at `url`, beside the engine's."""
    admin = await asyncpg.connect(asyncpg_dsn(url))
    try:
        yield admin
    finally:
        await admin.close()


async def _gone(admin: asyncpg.Connection, pid: int) -> bool:
    """Whether the server process `pid` ends within two seconds."""
    for _ in range(100):
        if not await admin.fetchval("SELECT count(*) FROM pg_stat_activity WHERE pid = $1", pid):
            return True
        await asyncio.sleep(0.02)
    return False


@needs_postgres
async def test_one_request_after_another_reads_on_the_kept_connection_without_the_pool(
    databases: Databases,
) -> None:
    url = await databases.create("reader_kept")
    engine = create_engine(settings_for(url))
    lent: list[int] = []
    event.listen(engine.sync_engine, "checkout", lambda dbapi, *_: lent.append(id(dbapi)))
    try:
        backends = []
        for _ in range(6):
            reader = Reader(engine)
            backends.append(await reader.scalar(BACKEND_PID))
            await reader.close()
        assert len(set(backends)) == 1
        assert len(lent) == 1  # taken from the pool once, then kept between requests
        assert kept_connection.count(engine) == 1
        assert engine.sync_engine.pool.checkedout() == 1  # type: ignore[attr-defined]
    finally:
        await engine.dispose()
    # The engine's dispose closed it: its server process is gone.
    async with _admin(url) as admin:
        assert await _gone(admin, backends[0])
    assert kept_connection.count(engine) == 0


@needs_postgres
async def test_two_requests_at_once_keep_one_connection_and_give_the_other_back(
    databases: Databases,
) -> None:
    url = await databases.create("reader_kept_two")
    engine = create_engine(settings_for(url))
    try:
        readers = [Reader(engine), Reader(engine)]
        both = await asyncio.gather(*(r.all(SLOW_DIRECT) for r in readers))
        assert [rows[0][1] for rows in both] == [1, 1]
        for reader in readers:
            await reader.close()
        pool = engine.sync_engine.pool
        assert kept_connection.count(engine) == 1
        assert pool.checkedout() == 1 and pool.checkedin() == 1  # type: ignore[attr-defined]
    finally:
        await engine.dispose()


@needs_postgres
async def test_a_kept_connection_the_server_closed_is_replaced_and_the_read_answers(
    databases: Databases,
) -> None:
    url = await databases.create("reader_kept_gone")
    engine = create_engine(settings_for(url))
    try:
        reader = Reader(engine)
        first = await reader.scalar(BACKEND_PID)
        await reader.close()
        async with _admin(url) as admin:  # as an idle timeout, a restart, an operator would
            assert await admin.fetchval("SELECT pg_terminate_backend($1)", first)
            assert await _gone(admin, first)
        reader = Reader(engine)
        again = await reader.scalar(BACKEND_PID)
        await reader.close()
        assert again != first
        # Read again through SQLAlchemy, whose connection went back to the pool; the
        # next request keeps one again.
        assert engine.sync_engine.pool.checkedout() == 0  # type: ignore[attr-defined]
        reader = Reader(engine)
        assert await reader.scalar(BACKEND_PID) == again
        await reader.close()
        assert kept_connection.count(engine) == 1
    finally:
        await engine.dispose()


@needs_postgres
async def test_a_connection_sqlalchemy_took_over_is_not_kept(databases: Databases) -> None:
    # A statement through SQLAlchemy may leave something on the connection (a session
    # setting, a transaction on SQLite): only connections that ran direct reads alone
    # are kept.
    engine = create_engine(settings_for(await databases.create("reader_not_kept")))
    try:
        reader = Reader(engine)
        await reader.scalar(BACKEND_PID)
        await reader.scalar(text("SELECT 1"))
        await reader.close()
        assert kept_connection.count(engine) == 0
        assert engine.sync_engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    finally:
        await engine.dispose()
