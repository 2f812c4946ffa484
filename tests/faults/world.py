"""A database for a fault test: migrated, seeded, with an OWNER to act as."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import timedelta

import asyncpg
from sqlalchemy import select
from sqlalchemy.engine import make_url

from custgraph.auth.tokens import issue_token
from custgraph.db.engine import create_engine, create_session_factory
from custgraph.db.models import Customer
from custgraph.domain.staff_accounts import create_staff_user
from custgraph.seed import seed_customers
from tests.conftest import STAFF_PASSWORD, TEST_SECRET, settings_for
from tests.support.databases import Databases, asyncpg_dsn
from tests.support.truth import fetch


@dataclass(frozen=True)
class FaultWorld:
    """A migrated, seeded database with an OWNER's token and customers that may change."""

    url: str
    token: str
    active_customer_ids: list[int]


async def fault_world(databases: Databases, label: str, customers: int) -> FaultWorld:
    url = await databases.create(label)
    settings = settings_for(url)
    engine = create_engine(settings, pooled=False)
    try:
        await seed_customers(engine, customers, 11, currency=settings.currency)
        owner = await create_staff_user(
            create_session_factory(engine),
            email=f"owner.{label}@staff.example.com",
            role="OWNER",
            password=STAFF_PASSWORD,
            first_name="Fault",
            last_name="Tester",
        )
        rows = await fetch(
            engine, select(Customer.id).where(Customer.status == "ACTIVE").order_by(Customer.id)
        )
    finally:
        await engine.dispose()
    token, _ = issue_token(TEST_SECRET, "staff", owner.id, owner.token_version, timedelta(hours=1))
    active = [row[0] for row in rows]
    assert len(active) >= 2, f"the seed made {len(active)} ACTIVE customers; seed more"
    return FaultWorld(url, token, active)


async def quiesced(url: str, seconds: float = 10.0) -> None:
    """Return once no other client session is connected to the database (PostgreSQL).

    A server that died or lost its connections may have sent a COMMIT that PostgreSQL is
    still carrying out; reading before its session ends could see half a moment. SQLite
    has no sessions outside the (dead) server's process.
    """
    if make_url(url).get_backend_name() != "postgresql":
        return
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        deadline = time.monotonic() + seconds
        while await connection.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
        ):
            assert time.monotonic() < deadline, "sessions of the old server linger"
            await asyncio.sleep(0.02)
    finally:
        await connection.close()
