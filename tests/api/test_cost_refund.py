"""The cost charged up front is refunded down to the actual cost after execution.

As Shopify does: the requested cost (page sizes times what is under them) must fit in
the bucket before anything runs, and what the answer did not use goes back. An admin
console walking a few hundred customers with their addresses and orders is not
throttled; callers that send such pages all at once still are.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from tests.support.client import GraphQLClient
from tests.support.databases import Databases
from tests.support.limited import BUCKET_STORES, LimitedWorld, limited_world

CAPACITY = 20000  # the defaults
LEAK_PER_SECOND = 500
CUSTOMERS = 300
# The admin list page with addresses and recent orders: about 9,600 points requested.
PAGE = """query($after: String) { customers(first: 100, after: $after) {
  pageInfo { hasNextPage endCursor }
  edges { cursor node { id reference displayName
    addresses { id city country }
    orders(first: 45) { nodes { id reference grandTotal { amount currency } } } } } } }"""


@pytest_asyncio.fixture(
    scope="module",
    params=BUCKET_STORES,
)
async def world(
    databases: Databases, request: pytest.FixtureRequest
) -> AsyncIterator[LimitedWorld]:
    async with limited_world(
        databases,
        request.param,
        customers=CUSTOMERS,
        capacity=CAPACITY,
        leak=LEAK_PER_SECOND,
        principals=3,
    ) as made:
        yield made


async def _walk(gql: GraphQLClient) -> list[dict[str, Any]]:
    """Every page of the list, one after another; each answer's extensions."""
    seen, after, figures = 0, None, []
    while True:
        response = await gql(PAGE, {"after": after})
        assert response.status == 200, response.body
        page = response.ok()["customers"]
        seen += len(page["edges"])
        figures.append(response.body["extensions"])
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == CUSTOMERS
    return figures


async def test_walking_hundreds_of_customers_with_their_orders_is_never_throttled(
    world: LimitedWorld,
) -> None:
    gql = GraphQLClient(world.http, world.tokens[0])
    # Twice over, without a pause: faster than any person pages.
    figures = await _walk(gql) + await _walk(gql)
    assert len(figures) == 6
    for extensions in figures:
        cost = extensions["cost"]
        assert cost["requestedQueryCost"] > 9000
        assert 0 < cost["actualQueryCost"] < cost["requestedQueryCost"] / 2
    # What a page left in the bucket counts only what the pages used.
    last = figures[-1]["rateLimit"]["remaining"]
    used = sum(f["cost"]["actualQueryCost"] for f in figures)
    assert CAPACITY - used - 1 <= last <= CAPACITY


async def test_the_unused_points_are_given_back_before_the_answer(world: LimitedWorld) -> None:
    gql = GraphQLClient(world.http, world.tokens[1])
    first = (await gql(PAGE, {"after": None})).body["extensions"]
    # The second is answered by the planned path (fastpath/planned.py): refunded alike.
    second = (await gql(PAGE, {"after": None})).body["extensions"]
    actual = first["cost"]["actualQueryCost"]
    assert second["cost"] == first["cost"]
    # Charged 9,800 up front each; without the refund the second would leave 400. The
    # room grows by what leaked meanwhile, too.
    assert CAPACITY - actual - 1 <= first["rateLimit"]["remaining"] <= CAPACITY
    assert CAPACITY - 2 * actual - 1 <= second["rateLimit"]["remaining"] <= CAPACITY


async def test_a_flood_of_such_pages_is_still_refused(world: LimitedWorld) -> None:
    gql = GraphQLClient(world.http, world.tokens[2])  # a bucket of its own, empty
    # At once: each must fit its 9,800 points before anything runs, and the refunds
    # come only as each finishes.
    answers = await asyncio.gather(*(gql(PAGE, {"after": None}) for _ in range(8)))
    assert any(a.status == 429 for a in answers), [a.status for a in answers]
    assert all(a.codes == ["RATE_LIMITED"] for a in answers if a.status == 429)
    # One after another, as fast as a script sends them: what each used (about 1,400
    # points) fills the bucket far faster than it leaks (500 a second).
    statuses = []
    for _ in range(40):
        statuses.append((await gql(PAGE, {"after": None})).status)
        if statuses[-1] == 429:
            break
    assert statuses[-1] == 429, statuses
