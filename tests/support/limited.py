"""A served app with rate limiting on, over a database of its own, for the limit's tests."""

from __future__ import annotations

import importlib.util
import socket
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select

from custgraph.auth.tokens import issue_token
from custgraph.db.engine import create_engine, create_session_factory
from custgraph.db.models import Customer
from custgraph.domain.staff_accounts import create_staff_user
from custgraph.global_id import encode_global_id
from custgraph.seed import seed_customers
from tests.conftest import STAFF_PASSWORD, TEST_SECRET, settings_for
from tests.support.databases import Databases
from tests.support.server import ServedApp, served
from tests.support.truth import fetch

REDIS_URL = "redis://127.0.0.1:6379/0"


@dataclass
class LimitedWorld:
    app: ServedApp
    http: httpx.AsyncClient
    tokens: list[str]  # staff users: principals with their own buckets
    customer_id: str
    backend: str


def redis_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return importlib.util.find_spec("redis") is not None
    except OSError:
        return False


# Where the buckets live, as a fixture's params: the Redis one skipped without Redis.
BUCKET_STORES = [
    "database",
    pytest.param(
        "redis", marks=pytest.mark.skipif(not redis_answers(), reason="no Redis on 127.0.0.1:6379")
    ),
]


@asynccontextmanager
async def limited_world(
    databases: Databases,
    backend: str,
    *,
    customers: int,
    capacity: float,
    leak: float,
    principals: int = 2,
) -> AsyncIterator[LimitedWorld]:
    """`customers` seeded customers, `principals` OWNERs, buckets in the database or in
    Redis."""
    label = f"ratelimit_{uuid.uuid4().hex[:8]}"
    url = await databases.create(label)
    settings = settings_for(
        url,
        delivery_worker=False,
        rate_limit_enabled=True,
        rate_limit_capacity=capacity,
        rate_limit_leak_per_second=leak,
        # Its own key prefix: each world starts with empty buckets.
        redis_url=REDIS_URL if backend == "redis" else None,
        rate_limit_redis_prefix=f"custgraph-test:{label}:",
    )
    engine = create_engine(settings, pooled=False)
    try:
        await seed_customers(engine, customers, 7, currency=settings.currency)
        sessions = create_session_factory(engine)
        tokens = []
        for n in range(principals):
            user = await create_staff_user(
                sessions,
                email=f"owner{n}@staff.example.com",
                role="OWNER",
                password=STAFF_PASSWORD,
                first_name="Owner",
                last_name=str(n),
            )
            token, _ = issue_token(
                TEST_SECRET, "staff", user.id, user.token_version, timedelta(hours=1)
            )
            tokens.append(token)
        (customer,) = await fetch(engine, select(Customer.id).limit(1))
    finally:
        await engine.dispose()
    async with served(settings) as app, httpx.AsyncClient(base_url=app.base_url) as http:
        yield LimitedWorld(app, http, tokens, encode_global_id("Customer", customer.id), backend)
