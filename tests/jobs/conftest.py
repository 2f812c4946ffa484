"""A world of 1,000 customers for bulk jobs and exports, with a fast job worker."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio

from tests.conftest import SeededWorld, _world
from tests.support.client import GraphQLClient
from tests.support.databases import Databases
from tests.support.smtp import Inbox

BULK_CUSTOMERS = 1000
INLINE_MAX = 10


@pytest_asyncio.fixture(scope="session")
async def bulk_world(databases: Databases, smtp_inbox: Inbox) -> AsyncIterator[SeededWorld]:
    async for world in _world(
        databases,
        "bulk",
        BULK_CUSTOMERS,
        smtp_url=smtp_inbox.url,
        delivery_interval_seconds=0.1,
        job_interval_seconds=0.05,
        bulk_inline_max=INLINE_MAX,
    ):
        yield world


@pytest_asyncio.fixture(scope="session")
async def bulk_http(bulk_world: SeededWorld) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=bulk_world.app.base_url, timeout=60) as client:
        yield client


@pytest.fixture
def bgql(bulk_http: httpx.AsyncClient, bulk_world: SeededWorld) -> GraphQLClient:
    """Signed in as the bulk world's OWNER."""
    return GraphQLClient(bulk_http, bulk_world.tokens["OWNER"])
