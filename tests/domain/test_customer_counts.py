"""The customer counts the triggers keep equal a count of the table (migration 0005).

The plain list's `totalCount` is read from them; these tests change the table every way
it changes (inserts, deletes, bulk statements, rolled-back transactions, concurrent
writers, TRUNCATE, a migration over existing rows) and compare with `count(*)`.
"""

from __future__ import annotations

import asyncio
import uuid

import pytest
from alembic import command
from sqlalchemy import Connection, String, cast, delete, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from custgraph.db.engine import create_engine, create_session_factory
from custgraph.db.migrate import alembic_config
from custgraph.db.models import Customer, CustomerCount
from tests.conftest import settings_for
from tests.support.databases import Databases, backend


async def _counts(engine: AsyncEngine) -> tuple[int, int]:
    """(what the counts say, what counting says)."""
    async with engine.connect() as connection:
        kept = await connection.scalar(select(func.coalesce(func.sum(CustomerCount.customers), 0)))
        counted = await connection.scalar(select(func.count()).select_from(Customer))
    return int(kept or 0), int(counted or 0)


def _customer() -> Customer:
    return Customer(reference=f"CUST-{uuid.uuid4().hex[:12]}")


async def test_inserts_deletes_and_rollbacks_keep_the_count(databases: Databases) -> None:
    engine = create_engine(settings_for(await databases.create("counts")), pooled=False)
    sessions = create_session_factory(engine)
    try:
        assert await _counts(engine) == (0, 0)
        async with sessions.begin() as session:
            session.add_all([_customer() for _ in range(5)])
        assert await _counts(engine) == (5, 5)
        with pytest.raises(RuntimeError):
            async with sessions.begin() as session:
                session.add_all([_customer() for _ in range(3)])
                await session.flush()
                raise RuntimeError("rolled back")
        assert await _counts(engine) == (5, 5)
        table = Customer.__table__
        copied = [c for c in table.columns if c.name not in ("id", "reference", "email")]
        copies = select(*copied, ("BULK-" + cast(table.c.id, String)).label("reference"))
        async with engine.begin() as connection:  # one statement, many rows
            await connection.execute(
                insert(table).from_select([*(c.name for c in copied), "reference"], copies)
            )
        assert await _counts(engine) == (10, 10)
        async with engine.begin() as connection:
            await connection.execute(delete(Customer).where(Customer.reference.like("BULK-%")))
        assert await _counts(engine) == (5, 5)
    finally:
        await engine.dispose()


@pytest.mark.skipif(backend() != "postgresql", reason="PostgreSQL's shards and TRUNCATE")
async def test_concurrent_writers_and_truncate_keep_the_count(databases: Databases) -> None:
    engine = create_engine(settings_for(await databases.create("counts_busy")), pooled=True)
    sessions = create_session_factory(engine)

    async def writer() -> None:
        for _ in range(5):
            async with sessions.begin() as session:
                session.add_all([_customer(), _customer()])
                await session.flush()
                doomed = _customer()
                session.add(doomed)
                await session.flush()
                await session.delete(doomed)

    try:
        await asyncio.gather(*(writer() for _ in range(8)))  # no deadlock, none lost
        assert await _counts(engine) == (80, 80)
        async with engine.begin() as connection:
            await connection.execute(text("TRUNCATE customers CASCADE"))
        assert await _counts(engine) == (0, 0)
    finally:
        await engine.dispose()


async def test_the_migration_counts_the_customers_already_there(databases: Databases) -> None:
    url = await databases.create("counts_migration")
    engine = create_engine(settings_for(url), pooled=False)
    sessions = create_session_factory(engine)

    def migrate(connection: Connection, revision: str) -> None:
        config = alembic_config(str(connection.engine.url))
        config.attributes["connection"] = connection
        if revision == "head":
            command.upgrade(config, revision)
        else:
            command.downgrade(config, revision)

    try:
        async with engine.begin() as connection:
            await connection.run_sync(migrate, "0004")
        async with sessions.begin() as session:
            session.add_all([_customer() for _ in range(4)])
        async with engine.begin() as connection:
            await connection.run_sync(migrate, "head")
        assert await _counts(engine) == (4, 4)
        async with sessions.begin() as session:
            session.add(_customer())
        assert await _counts(engine) == (5, 5)
    finally:
        await engine.dispose()
