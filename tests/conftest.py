"""Fixtures: real databases, the app served over HTTP, clients signed in as each role."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio

from custgraph.auth.permissions import BUILTIN_ROLES
from custgraph.auth.tokens import issue_token
from custgraph.db.engine import create_engine, create_session_factory
from custgraph.domain.staff_accounts import create_staff_user
from custgraph.seed import seed_customers
from custgraph.settings import Settings
from tests.support.client import GraphQLClient
from tests.support.databases import Databases, backend
from tests.support.server import ServedApp, served
from tests.support.smtp import Inbox, activate

TEST_SECRET = "test-secret-key-not-for-production-use"
SEEDED_CUSTOMERS = 60
STAFF_PASSWORD = "correct horse battery staple"


def pytest_report_header() -> str:
    return f"custgraph database backend: {backend()}"


@pytest_asyncio.fixture(scope="session")
async def databases(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Databases]:
    dbs = Databases(tmp_path_factory.mktemp("databases"))
    yield dbs
    await dbs.drop_all()


def settings_for(url: str, **overrides: Any) -> Settings:
    """Settings of a test app; rate limiting is off unless a test turns it on, so that
    suites sharing one world do not run each other out of points."""
    return Settings(
        **{
            "database_url": url,
            "secret_key": TEST_SECRET,
            "smtp_url": None,
            "rate_limit_enabled": False,
            **overrides,
        }
    )


@pytest.fixture(scope="session")
def smtp_inbox() -> Iterator[Inbox]:
    """A real SMTP server that the writable world's delivery worker sends to."""
    inbox = Inbox()
    inbox.start()
    activate(inbox)
    yield inbox
    activate(None)
    inbox.stop()


@dataclass
class SeededWorld:
    """A database seeded once per run, read (never written) by the read-path tests."""

    app: ServedApp
    tokens: dict[str, str]  # role name -> staff bearer token
    staff_ids: dict[str, int]


async def _world(
    databases: Databases, label: str, customers: int, **overrides: Any
) -> AsyncIterator[SeededWorld]:
    url = await databases.create(label)
    settings = settings_for(url, **overrides)
    engine = create_engine(settings, pooled=False)
    try:
        await seed_customers(engine, customers, 7, currency=settings.currency)
        sessions = create_session_factory(engine)
        tokens, ids = {}, {}
        for role in BUILTIN_ROLES:
            user = await create_staff_user(
                sessions,
                email=f"{role.lower()}@staff.example.com",
                role=role,
                password=STAFF_PASSWORD,
                first_name=role.title(),
                last_name="Tester",
            )
            ids[role] = user.id
            tokens[role], _ = issue_token(
                TEST_SECRET, "staff", user.id, user.token_version, timedelta(hours=1)
            )
    finally:
        await engine.dispose()
    async with served(settings) as app:
        yield SeededWorld(app=app, tokens=tokens, staff_ids=ids)


@pytest_asyncio.fixture(scope="session")
async def seeded(databases: Databases) -> AsyncIterator[SeededWorld]:
    """Read by the read-path tests, never written: counts and orders stay known."""
    async for world in _world(databases, "seeded", SEEDED_CUSTOMERS, delivery_worker=False):
        yield world


@pytest_asyncio.fixture(scope="session")
async def writable(databases: Databases, smtp_inbox: Inbox) -> AsyncIterator[SeededWorld]:
    """Written by the tests of actions: they make their own records and assume no counts.

    Its delivery worker sends the outbox to `smtp_inbox` every tenth of a second.
    """
    async for world in _world(
        databases, "writable", 20, smtp_url=smtp_inbox.url, delivery_interval_seconds=0.1
    ):
        yield world


@pytest_asyncio.fixture(scope="session")
async def writable_http(writable: SeededWorld) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=writable.app.base_url, timeout=30) as client:
        yield client


@pytest.fixture
def wgql(writable_http: httpx.AsyncClient, writable: SeededWorld) -> GraphQLClient:
    """A client of the writable world, signed in as its OWNER."""
    return GraphQLClient(writable_http, writable.tokens["OWNER"])


@pytest_asyncio.fixture(scope="session")
async def http(seeded: SeededWorld) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=seeded.app.base_url, timeout=30) as client:
        yield client


@pytest.fixture
def gql(http: httpx.AsyncClient, seeded: SeededWorld) -> GraphQLClient:
    """A client signed in as an OWNER of the seeded world."""
    return GraphQLClient(http, seeded.tokens["OWNER"])
