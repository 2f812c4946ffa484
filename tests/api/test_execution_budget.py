"""The process's execution budget over HTTP: queries past it wait their turn, then answer."""

from __future__ import annotations

import asyncio
import math

import httpx

from tests.api.test_operations import _samples
from tests.conftest import SeededWorld, settings_for
from tests.support.client import GraphQLClient
from tests.support.server import served

PAGE = """query BudgetPage($after: String) {
  customers(first: 8, after: $after) {
    nodes { id reference addresses { city } orders(first: 3) { totalCount nodes { reference } } }
    pageInfo { endCursor }
  }
}"""
WAITS = ("custgraph_execution_budget_wait_seconds_count", ())


async def test_queries_past_the_budget_wait_their_turn_and_answer_the_same(
    seeded: SeededWorld, gql: GraphQLClient
) -> None:
    expected = [(await gql(PAGE, {"after": None})).ok()]
    cursor = expected[0]["customers"]["pageInfo"]["endCursor"]
    expected.append((await gql(PAGE, {"after": cursor})).ok())

    # A budget of one point: every query executes alone, the others wait for it.
    settings = settings_for(
        seeded.app.state.settings.database_url, execution_budget=1, delivery_worker=False
    )
    async with (
        served(settings) as app,
        httpx.AsyncClient(base_url=app.base_url, timeout=30) as http,
    ):
        client = GraphQLClient(http, seeded.tokens["OWNER"])
        before = (await _samples(http)).get(WAITS, 0.0)
        answers = await asyncio.gather(
            *(client(PAGE, {"after": None if i % 2 == 0 else cursor}) for i in range(8))
        )
        assert [a.ok() for a in answers] == [expected[i % 2] for i in range(8)]
        for answer in answers:
            cost = answer.body["extensions"]["cost"]
            assert cost["requestedQueryCost"] > 1  # dearer than the budget: ran alone
        assert (await _samples(http))[WAITS] >= before + 1
        assert app.state.execution_budget is not None
        assert app.state.execution_budget.in_use == 0


async def test_no_budget_when_it_is_set_to_zero(seeded: SeededWorld) -> None:
    settings = settings_for(
        seeded.app.state.settings.database_url, execution_budget=0, delivery_worker=False
    )
    async with (
        served(settings) as app,
        httpx.AsyncClient(base_url=app.base_url, timeout=30) as http,
    ):
        assert app.state.execution_budget is None
        answer = await GraphQLClient(http, seeded.tokens["OWNER"])(PAGE, {"after": None})
        assert len(answer.ok()["customers"]["nodes"]) == 8
        assert (await _samples(http)).get(WAITS, 0.0) == 0


DETAIL = """query BudgetDetail($id: ID!) { customer(id: $id) { id reference email } }"""
CHEAP_AT_ONCE = ("custgraph_execution_cheap_at_once", ())


async def test_cheap_reads_are_measured_and_their_limit_is_published(
    seeded: SeededWorld, gql: GraphQLClient
) -> None:
    customer_id = (await gql("{ customers(first: 1) { nodes { id } } }")).ok()["customers"][
        "nodes"
    ][0]["id"]
    settings = settings_for(
        seeded.app.state.settings.database_url, execution_cheap_at_most=6, delivery_worker=False
    )
    async with (
        served(settings) as app,
        httpx.AsyncClient(base_url=app.base_url, timeout=30) as http,
    ):
        budget = app.state.execution_budget
        assert budget is not None and budget.cheap is not None
        assert (await _samples(http))[CHEAP_AT_ONCE] == 6
        client = GraphQLClient(http, seeded.tokens["OWNER"])
        answers = await asyncio.gather(*(client(DETAIL, {"id": customer_id}) for _ in range(12)))
        assert {a.ok()["customer"]["id"] for a in answers} == {customer_id}
        # Each detail read's in-flight time was taken into account.
        assert budget.cheap.floor is not None and budget.cheap.floor > 0
        assert 2 <= (await _samples(http))[CHEAP_AT_ONCE] <= 6
        assert budget.in_use == 0


async def test_cheap_reads_take_a_fixed_weight_when_the_limit_is_off(seeded: SeededWorld) -> None:
    settings = settings_for(
        seeded.app.state.settings.database_url, execution_cheap_at_most=0, delivery_worker=False
    )
    async with (
        served(settings) as app,
        httpx.AsyncClient(base_url=app.base_url, timeout=30) as http,
    ):
        assert app.state.execution_budget is not None
        assert app.state.execution_budget.cheap is None
        assert math.isnan((await _samples(http))[CHEAP_AT_ONCE])
