"""A leaky bucket of cost points per caller: a burst beyond it gets 429 and runs nothing."""

from __future__ import annotations

import asyncio
import importlib.util
import socket
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import func, select

from custgraph.auth.tokens import issue_token
from custgraph.db.engine import create_engine, create_session_factory
from custgraph.db.models import Customer, Note
from custgraph.db.models.records import RateLimitBucket
from custgraph.domain.staff_accounts import create_staff_user
from custgraph.schema.global_id import encode_global_id
from custgraph.seed import seed_customers
from tests.conftest import STAFF_PASSWORD, TEST_SECRET, settings_for
from tests.support.client import GraphQLClient
from tests.support.databases import Databases
from tests.support.server import ServedApp, served
from tests.support.truth import fetch

CAPACITY = 30
LEAK_PER_SECOND = 2  # slow enough that a loaded machine cannot leak the burst away
PAGE = "{ customers(first: 10) { nodes { id } } }"  # costs 1 + 10 x 1 = 11
PAGE_COST = 11


@dataclass
class LimitedWorld:
    app: ServedApp
    http: httpx.AsyncClient
    tokens: list[str]  # two staff users: two principals with their own buckets
    customer_id: str
    backend: str


REDIS_URL = "redis://127.0.0.1:6379/0"


def _redis_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return importlib.util.find_spec("redis") is not None
    except OSError:
        return False


@pytest_asyncio.fixture(
    params=[
        "database",
        pytest.param(
            "redis",
            marks=pytest.mark.skipif(not _redis_answers(), reason="no Redis on 127.0.0.1:6379"),
        ),
    ]
)
async def limited(
    databases: Databases, request: pytest.FixtureRequest
) -> AsyncIterator[LimitedWorld]:
    label = f"ratelimit_{uuid.uuid4().hex[:8]}"
    url = await databases.create(label)
    settings = settings_for(
        url,
        delivery_worker=False,
        rate_limit_enabled=True,
        rate_limit_capacity=CAPACITY,
        rate_limit_leak_per_second=LEAK_PER_SECOND,
        # Its own key prefix: each test starts with empty buckets.
        redis_url=REDIS_URL if request.param == "redis" else None,
        rate_limit_redis_prefix=f"custgraph-test:{label}:",
    )
    engine = create_engine(settings, pooled=False)
    try:
        await seed_customers(engine, 3, 7, currency=settings.currency)
        sessions = create_session_factory(engine)
        tokens = []
        for n in range(2):
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
        yield LimitedWorld(
            app, http, tokens, encode_global_id("Customer", customer.id), request.param
        )


async def _note_count(world: LimitedWorld) -> int:
    (row,) = await fetch(world.app.state.engine, select(func.count()).select_from(Note))
    return int(row[0])


async def test_burst_beyond_capacity_gets_429_and_writes_nothing(limited: LimitedWorld) -> None:
    gql = GraphQLClient(limited.http, limited.tokens[0])
    first = await gql(PAGE)
    first.ok()
    assert first.body["extensions"]["rateLimit"] == {
        "capacity": CAPACITY,
        "remaining": CAPACITY - PAGE_COST,
        "leakPerSecond": LEAK_PER_SECOND,
    }
    # The second answer comes from the planned path (fastpath/planned.py): it pays once.
    second = await gql(PAGE)
    second.ok()
    remaining = second.body["extensions"]["rateLimit"]["remaining"]
    assert CAPACITY - 2 * PAGE_COST <= remaining <= CAPACITY - 2 * PAGE_COST + 1
    refused = await gql(PAGE)
    assert refused.status == 429, refused.body
    assert refused.codes == ["RATE_LIMITED"]
    assert int(refused.headers["Retry-After"]) >= 1
    details = refused.body["errors"][0]["extensions"]
    assert details["code"] == "RATE_LIMITED"
    assert details["retryAfterSeconds"] == int(refused.headers["Retry-After"])
    assert details["rateLimit"]["capacity"] == CAPACITY
    assert "data" not in refused.body
    metrics = (await limited.http.get("/metrics")).text
    assert 'custgraph_rate_limit_refusals_total{caller="staff"} 1.0' in metrics
    # The buckets live where configured: one row per caller, or none with Redis.
    rows = await fetch(limited.app.state.engine, select(RateLimitBucket.key))
    assert len(rows) == (0 if limited.backend == "redis" else 1)
    assert all(r.key.startswith("staff:") for r in rows)


async def test_refused_mutation_writes_nothing(limited: LimitedWorld) -> None:
    gql = GraphQLClient(limited.http, limited.tokens[0])
    for _ in range(2):
        (await gql(PAGE)).ok()
    before = await _note_count(limited)
    add_note = """mutation($id: ID!) { customerNoteAdd(input: {customerId: $id, body: "burst"}) {
        customer { notes(first: 10) { nodes { body } } } userErrors { code } } }"""
    refused = await gql(add_note, {"id": limited.customer_id})  # costs 1 + 1 + 1 + 10 x 1
    assert refused.status == 429, refused.body
    assert refused.codes == ["RATE_LIMITED"]
    assert await _note_count(limited) == before


async def test_another_principal_is_not_affected(limited: LimitedWorld) -> None:
    first, second = (GraphQLClient(limited.http, t) for t in limited.tokens)
    for _ in range(2):
        (await first(PAGE)).ok()
    assert (await first(PAGE)).status == 429
    (await second(PAGE)).ok()


async def test_requests_pass_again_after_the_bucket_leaks(limited: LimitedWorld) -> None:
    gql = GraphQLClient(limited.http, limited.tokens[0])
    for _ in range(2):
        (await gql(PAGE)).ok()
    refused = await gql(PAGE)
    assert refused.status == 429
    await asyncio.sleep(int(refused.headers["Retry-After"]) + 0.1)
    again = await gql(PAGE)
    again.ok()
    assert 0 <= again.body["extensions"]["rateLimit"]["remaining"] < CAPACITY


async def test_anonymous_callers_share_a_bucket_per_client_address(limited: LimitedWorld) -> None:
    anonymous = GraphQLClient(limited.http)
    login = """mutation { staffLogin(input: {email: "nobody@example.com", password: "x"}) {
        userErrors { code } } }"""
    response = await anonymous(login)
    assert response.status == 200, response.body
    assert response.body["extensions"]["rateLimit"]["remaining"] < CAPACITY
