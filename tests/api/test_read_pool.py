"""The read pool keeps the connections a busy process needs (db/engine.py).

Overflow connections are closed as they come back: a process serving more concurrent
requests than its pool holds opened and closed a connection per request, which cost a
third of the detail read's throughput at 16 connections.
"""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy import event, text

from custgraph.db.engine import create_engine
from tests.api.queries import LIST_PAGE
from tests.conftest import SeededWorld, settings_for
from tests.support.databases import asyncpg_dsn, backend
from tests.support.server import served

CONCURRENT = 16


@pytest.mark.skipif(backend() != "postgresql", reason="SQLite opens a connection per use")
async def test_sixteen_concurrent_reads_reuse_the_pools_connections(seeded: SeededWorld) -> None:
    settings = settings_for(seeded.app.state.settings.database_url, delivery_worker=False)
    async with served(settings) as app, httpx.AsyncClient(base_url=app.base_url) as client:
        opened: list[Any] = []
        event.listen(app.state.engine.sync_engine, "connect", lambda *a: opened.append(a))
        body = {"query": LIST_PAGE, "variables": {"first": 5}}
        headers = {"Authorization": f"Bearer {seeded.tokens['OWNER']}"}

        async def wave() -> None:
            answers = await asyncio.gather(
                *(client.post("/graphql", json=body, headers=headers) for _ in range(CONCURRENT))
            )
            assert all(a.status_code == 200 and b'"errors"' not in a.content for a in answers)

        await wave()  # fills the pool
        first = len(opened)
        for _ in range(3):
            await wave()
        assert len(opened) == first  # every later read found a pooled connection


@pytest.mark.skipif(backend() != "postgresql", reason="SQLite opens a connection per use")
async def test_one_read_at_a_time_after_a_burst_keeps_to_one_connection(
    seeded: SeededWorld,
) -> None:
    # After serving 16 at once, a process serving one at a time reads on one warm
    # backend (the kept connection, db/kept_connection.py) instead of cycling through
    # all 16, which measured 20-30 % fewer detail reads per second.
    settings = settings_for(seeded.app.state.settings.database_url, delivery_worker=False)
    async with served(settings) as app, httpx.AsyncClient(base_url=app.base_url) as client:
        body = {"query": LIST_PAGE, "variables": {"first": 5}}
        headers = {"Authorization": f"Bearer {seeded.tokens['OWNER']}"}
        answers = await asyncio.gather(
            *(client.post("/graphql", json=body, headers=headers) for _ in range(CONCURRENT))
        )
        assert all(a.status_code == 200 for a in answers)
        admin = await asyncpg.connect(asyncpg_dsn(settings.database_url))
        try:
            began = await admin.fetchval("SELECT clock_timestamp()")
            for _ in range(6):
                answer = await client.post("/graphql", json=body, headers=headers)
                assert answer.status_code == 200 and b'"errors"' not in answer.content
            busy = await admin.fetchval(
                """SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
                   AND pid <> pg_backend_pid() AND query_start > $1""",
                began,
            )
        finally:
            await admin.close()
        assert busy == 1


@pytest.mark.skipif(backend() != "postgresql", reason="SQLite opens a connection per use")
async def test_the_read_pool_lends_the_connection_given_back_last(seeded: SeededWorld) -> None:
    # LIFO: what takes connections through SQLAlchemy (the rate limit's bucket) reuses
    # one warm backend after a burst too.
    engine = create_engine(settings_for(seeded.app.state.settings.database_url))
    try:
        burst = [await engine.connect() for _ in range(CONCURRENT)]
        for connection in burst:
            await connection.close()
        lent = []
        for _ in range(6):
            async with engine.connect() as connection:
                lent.append(await connection.scalar(text("SELECT pg_backend_pid()")))
        assert len(set(lent)) == 1
    finally:
        await engine.dispose()
