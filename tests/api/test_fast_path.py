"""The compiled read path answers exactly as graphql-core's general path does.

The seeded world serves with compiled reads on; a second app on the same database serves
with them off. Every query here goes to both, as every role, and the two bodies must be
equal byte for byte once the request ids are taken out (errors and their order included).
The compiled-requests counter of /metrics tells which path answered.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from graphql import GraphQLEnumType, GraphQLScalarType, get_named_type
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from custgraph.auth.permissions import BUILTIN_ROLES
from custgraph.db import kept_connection
from custgraph.fastpath.compiler import GENERAL_PATH_ONLY
from custgraph.global_id import encode_global_id
from custgraph.schema.build import build_schema
from tests.api.queries import LIST_PAGE
from tests.conftest import SeededWorld
from tests.support.selections import every_field, one_field
from tests.support.two_paths import TwoPaths, two_paths

ROLES = sorted(BUILTIN_ROLES)


@pytest_asyncio.fixture(scope="module")
async def paths(seeded: SeededWorld) -> AsyncIterator[TwoPaths]:
    async with two_paths(seeded) as two:
        yield two


SCHEMA = build_schema()._schema
# Every field of a customer, to any depth, but those left to the general path: a field
# added to the schema is compared here without being typed in, and fails the compiled
# tests below until the compiler answers it or GENERAL_PATH_ONLY names it.
EVERY_FIELD = every_field(SCHEMA, "Customer", GENERAL_PATH_ONLY)
# How a query reaches each type that has a field left to the general path.
_REACHED = {
    "Customer": "@",
    "Order": "orders(first: 2) { nodes { id @ } }",
}


@pytest.mark.parametrize("role", ROLES)
async def test_every_compiled_field_of_a_page_equals_the_general_path(
    paths: TwoPaths, role: str
) -> None:
    query = f"""query Page {{ customers(first: 25) {{ totalCount
        pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }}
        edges {{ cursor node {{ {EVERY_FIELD} }} }} }} }}"""
    assert await paths.same(query, role=role)


@pytest.mark.parametrize("role", ROLES)
async def test_one_customer_equals_the_general_path(paths: TwoPaths, role: str) -> None:
    query = f"query One($id: ID!) {{ customer(id: $id) {{ {EVERY_FIELD} }} }}"
    for db_id in (1, 2, 17, 42):
        assert await paths.same(query, {"id": encode_global_id("Customer", db_id)}, role)


async def test_the_admin_list_page_and_its_next_page(paths: TwoPaths) -> None:
    assert await paths.same(LIST_PAGE, {"first": 20})
    fast, _, _ = await paths.both(LIST_PAGE, {"first": 20})
    end = json.loads(fast)["data"]["customers"]["pageInfo"]["endCursor"]
    assert await paths.same(LIST_PAGE, {"first": 20, "after": end})


async def test_nested_pages_follow_their_cursors(paths: TwoPaths) -> None:
    query = """query Orders($id: ID!, $after: String) { customer(id: $id) {
        orders(first: 2, after: $after) { pageInfo { hasNextPage hasPreviousPage endCursor }
                                          nodes { reference placedAt } } } }"""
    customer = encode_global_id("Customer", 3)
    after = None
    for _ in range(3):
        variables = {"id": customer, "after": after}
        assert await paths.same(query, variables)
        fast, _, _ = await paths.both(query, variables)
        page = json.loads(fast)["data"]["customer"]["orders"]
        after = page["pageInfo"]["endCursor"]
        if not page["pageInfo"]["hasNextPage"]:
            break


SORTS_AND_FILTERS = [
    {"sort": {"field": "NAME", "direction": "DESC"}},
    {"sort": {"field": "REGISTERED_AT", "direction": "ASC"}, "first": 7},
    {"search": "a", "first": 5},
    {"filter": {"status": ["ACTIVE"], "hasOrders": True}},
    {"filter": {"emailVerified": False}, "last": 4},
    {"first": 0},
]


@pytest.mark.parametrize("arguments", SORTS_AND_FILTERS)
async def test_searched_filtered_and_sorted_lists(
    paths: TwoPaths, arguments: dict[str, Any]
) -> None:
    query = """query List($first: Int, $last: Int, $search: String, $filter: CustomerFilter,
                          $sort: CustomerSort) {
        customers(first: $first, last: $last, search: $search, filter: $filter, sort: $sort) {
          totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
          nodes { reference lastName registeredAt status orderCount } } }"""
    assert await paths.same(query, arguments)


async def test_a_refused_field_asked_twice_is_located_twice(paths: TwoPaths) -> None:
    query = "query { customers(first: 2) { nodes { email dateOfBirth email } } }"
    fast, slow, compiled = await paths.both(query, role="VIEWER")
    assert compiled and fast == slow
    assert len(json.loads(fast)["errors"][0]["locations"]) == 2


async def test_fragments_aliases_and_repeated_fields_merge_as_graphql_core_merges(
    paths: TwoPaths,
) -> None:
    query = """
    fragment Money on Money { amount currency }
    fragment Person on Customer { firstName lastName ... on Node { id } }
    query Shapes { list: customers(first: 5) { nodes {
        ...Person
        name: displayName
        firstName
        ... on Customer { credit: creditBalance { ...Money } }
        recent: orders(first: 1) { nodes { grandTotal { ...Money } } }
        older: orders(first: 3) { nodes { reference } totalCount }
        orders(first: 1) { nodes { state } }
        orders(first: 1) { nodes { reference } }
      } }
      __typename
      again: customers(first: 2) { nodes { reference } } }"""
    assert await paths.same(query, role="SUPPORT")
    assert await paths.same(query, role="VIEWER")


async def test_money_built_in_place_answers_as_the_money_object_does(paths: TwoPaths) -> None:
    """The compiled path builds a Money's fields straight from the row (codegen.py):
    every mix of its fields, aliases and `__typename`, row currency and shop currency."""
    query = """query MoneyShapes { customers(first: 6) { nodes {
        creditBalance { __typename c: currency a: amount amount }
        totalRevenue { currency }
        orders(first: 3) { nodes { grandTotal { amount t: __typename currency } } }
        giftCards { initialBalance { __typename } balance { amount amount } }
        pointsHistory(first: 2) { nodes { reference: id } }
      } } }"""
    for role in ("OWNER", "VIEWER"):
        assert await paths.same(query, role=role)


FALLBACKS = [
    # Arguments the general path refuses: the compiled path hands them over.
    ('query { customer(id: "nope") { id } }', None),
    ('query { customer(id: "Q3VzdG9tZXI6OTk5OTk5") { id } }', None),  # Customer:999999
    ("query { customers(first: 500) { nodes { id } } }", None),
    ("query { customers(first: 2) { nodes { orders(first: 101) { totalCount } } } }", None),
    ('query { customers(first: 2) { nodes { notes(after: "garbage") { totalCount } } } }', None),
    ("query($n: Int) { customers(first: $n) { nodes { id } } }", {"n": "many"}),
]


@pytest.mark.parametrize(("query", "variables"), FALLBACKS)
async def test_refused_arguments_give_the_general_paths_errors(
    paths: TwoPaths, query: str, variables: dict[str, Any] | None
) -> None:
    fast, slow, compiled = await paths.both(query, variables)
    assert fast == slow
    assert not compiled
    assert b'"errors"' in fast


def test_what_is_left_to_the_general_path_are_fields_of_the_schema() -> None:
    for type_name, field in GENERAL_PATH_ONLY:
        assert field in SCHEMA.type_map[type_name].fields, (type_name, field)  # type: ignore[union-attr]
        assert type_name in _REACHED, f"say how a query reaches {type_name}"


@pytest.mark.parametrize(("type_name", "field"), sorted(GENERAL_PATH_ONLY))
async def test_each_field_left_to_the_general_path_is_answered_alike(
    paths: TwoPaths, type_name: str, field: str
) -> None:
    selection = _REACHED[type_name].replace("@", one_field(SCHEMA, type_name, field))
    query = f"query {{ customers(first: 10) {{ nodes {{ id {selection} }} }} }}"
    fast, slow, compiled = await paths.both(query)
    assert fast == slow
    assert not compiled
    assert b'"errors"' not in fast


NOT_COMPILED = [
    "query { customers(first: 3) { nodes { salesRep { email } } } }",
    "query { customers(first: 3) { nodes { events(first: 2) { nodes { type } } } } }",
    "query { customers(first: 3) { nodes { orders(first: 2) { nodes { lines { sku } } } } } }",
    "query { viewer { kind } customers(first: 1) { nodes { id } } }",
    "query($skip: Boolean!) { customers(first: 2) { nodes { id email @skip(if: $skip) } } }",
]


@pytest.mark.parametrize("query", NOT_COMPILED)
async def test_what_the_compiler_does_not_know_takes_the_general_path(
    paths: TwoPaths, query: str
) -> None:
    fast, slow, compiled = await paths.both(query, {"skip": True})
    assert fast == slow
    assert not compiled


async def test_cold_and_warm_answers_are_the_same_bytes(paths: TwoPaths) -> None:
    query = f"""query ColdWarm {{ customers(first: 10, sort: {{field: EMAIL}}) {{
        nodes {{ {EVERY_FIELD} }} }} }}"""
    cold, _, compiled_cold = await paths.both(query, role="MANAGER")
    warm, _, compiled_warm = await paths.both(query, role="MANAGER")
    assert compiled_cold and compiled_warm
    assert cold == warm


# Property-based: random selections of the compiled fields, as random roles.
_SCALARS = [
    "__typename",
    *(
        name
        for name, definition in SCHEMA.type_map["Customer"].fields.items()  # type: ignore[union-attr]
        if ("Customer", name) not in GENERAL_PATH_ONLY
        and isinstance(get_named_type(definition.type), GraphQLScalarType | GraphQLEnumType)
    ),
    "creditBalance { amount }",
    "creditBalance { __typename currency a: amount amount }",
    "creditLimit { currency }",
    "totalRevenue { amount }",
]
_NESTED = [
    "addresses { city phone }",
    "defaultShippingAddress { line1 }",
    "giftCards { code balance { amount } }",
    "orders(first: 2) { totalCount nodes { reference grandTotal { amount } } }",
    "orders(first: 2) { nodes { grandTotal { currency t: __typename amount } } }",
    "orders(first: 5) { edges { cursor node { state } } pageInfo { hasNextPage } }",
    "pointsHistory(first: 3) { nodes { delta actor { name } } }",
    "creditHistory { totalCount }",
    "notes(first: 1) { nodes { body author { kind } } }",
    "mfa { enabled phone }",
    "idDocument { number }",
]


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    # A field repeated, but no more often than a selection set may repeat one
    # (CUSTGRAPH_MAX_FIELD_REPEATS, 5): a flood is refused, not answered on either path.
    scalars=st.lists(st.sampled_from(_SCALARS), min_size=1, max_size=12).filter(
        lambda fields: max(Counter(fields).values()) <= 5
    ),
    nested=st.lists(st.sampled_from(_NESTED), max_size=4, unique=True),
    role=st.sampled_from(ROLES),
    first=st.integers(min_value=0, max_value=30),
    sort=st.sampled_from(["REFERENCE", "NAME", "EMAIL", "REGISTERED_AT", "TOTAL_REVENUE"]),
)
async def test_random_selections_answer_alike(
    paths: TwoPaths,
    scalars: list[str],
    nested: list[str],
    role: str,
    first: int,
    sort: str,
) -> None:
    # Aliases keep two pages of one relation with other arguments apart.
    selection = " ".join([*scalars, *(f"n{i}: {n}" for i, n in enumerate(nested))])
    query = f"""query Random {{ customers(first: {first}, sort: {{field: {sort}, direction: DESC}})
        {{ totalCount nodes {{ {selection} }} }} }}"""
    assert await paths.same(query, role=role)


async def test_a_root_that_falls_back_leaves_no_connection_checked_out(
    paths: TwoPaths, seeded: SeededWorld
) -> None:
    # The bad id sends the request to the general path while the list root is still
    # loading; before the fix that root went on in the background after the request had
    # closed its connection, opened another one and left it to the garbage collector.
    missing = encode_global_id("Customer", 10**9)
    query = f"""query Mixed {{ gone: customer(id: "{missing}") {{ id }}
        list: customers(first: 20) {{ nodes {{ id orders(first: 3) {{ nodes {{ id }} }} }} }} }}"""
    pool = seeded.app.state.engine.pool
    for _ in range(5):
        fast, slow, compiled = await paths.both(query)
        assert fast == slow and not compiled
    await asyncio.sleep(0.2)  # what an orphaned root would still be doing
    # Only the connection kept for the next direct read (db/kept_connection.py).
    assert pool.checkedout() == kept_connection.count(seeded.app.state.engine)


@pytest.mark.parametrize(
    "variables",
    [{"first": "many"}, {"first": 10**12}, {"first": -1}, {"first": None}, {}],
)
async def test_a_planned_document_with_bad_variables_answers_as_the_pipeline(
    paths: TwoPaths, variables: dict[str, Any]
) -> None:
    query = """query Vars($first: Int!) { customers(first: $first) { totalCount
        nodes { reference orders(first: $first) { nodes { reference } } } } }"""
    assert await paths.same(query, {"first": 3})  # answered by its plan: now remembered
    fast, slow, _ = await paths.both(query, variables)
    assert fast == slow
