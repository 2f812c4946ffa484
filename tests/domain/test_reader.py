"""The read side's connection per request (db/reader.py) on the app's pooled read engine."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from custgraph.db.engine import create_engine
from custgraph.db.reader import Reader
from tests.conftest import settings_for
from tests.support.databases import Databases, backend

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
