"""A leaky bucket of cost points per caller: a burst beyond it gets 429 and runs nothing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from sqlalchemy import func, select

from custgraph.db.models import Note
from custgraph.db.models.records import RateLimitBucket
from tests.support.client import GraphQLClient
from tests.support.databases import Databases
from tests.support.limited import BUCKET_STORES, LimitedWorld, limited_world
from tests.support.truth import fetch

CAPACITY = 30
LEAK_PER_SECOND = 2  # slow enough that a loaded machine cannot leak the burst away
# Costs 1 + 10 x 1 = 11, and as many are returned (10 customers): nothing is refunded.
PAGE = "{ customers(first: 10) { nodes { id } } }"
PAGE_COST = 11


@pytest_asyncio.fixture(
    params=BUCKET_STORES,
)
async def limited(
    databases: Databases, request: pytest.FixtureRequest
) -> AsyncIterator[LimitedWorld]:
    async with limited_world(
        databases, request.param, customers=10, capacity=CAPACITY, leak=LEAK_PER_SECOND
    ) as world:
        yield world


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
