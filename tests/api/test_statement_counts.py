"""No N+1: the statements a nested query runs do not grow with the page size."""

from __future__ import annotations

from sqlalchemy import select

from custgraph.db.models import Customer
from custgraph.global_id import encode_global_id
from tests.api.queries import DETAIL, LIST_PAGE
from tests.conftest import SeededWorld
from tests.support.client import GraphQLClient
from tests.support.statements import recorded
from tests.support.truth import fetch

# The list page's nested relations: addresses, orders (+ their count), points entries,
# gift cards, notes.
LIST_PAGE_RELATIONS = 6
# The principal's look-up, the page, and its count.
LIST_PAGE_FIXED = 3


async def _statements(seeded: SeededWorld, gql: GraphQLClient, query: str, variables: dict) -> int:
    with recorded(seeded.app.state.engine) as log:
        (await gql(query, variables)).ok()
    return log.count


async def test_list_page_runs_the_same_statements_for_10_and_100_customers(
    seeded: SeededWorld, gql: GraphQLClient
) -> None:
    small = await _statements(seeded, gql, LIST_PAGE, {"first": 10})
    large = await _statements(seeded, gql, LIST_PAGE, {"first": 100})
    assert small == large
    assert large <= LIST_PAGE_FIXED + LIST_PAGE_RELATIONS


async def test_detail_query_runs_at_most_one_statement_per_relation(
    seeded: SeededWorld, gql: GraphQLClient
) -> None:
    rows = await fetch(
        seeded.app.state.engine, select(Customer.id).order_by(Customer.order_count.desc()).limit(2)
    )
    counts = [
        await _statements(seeded, gql, DETAIL, {"id": encode_global_id("Customer", r.id)})
        for r in rows
    ]
    # principal, customer, sales rep, addresses, 6 paged relations + 6 counts, order lines,
    # gift cards, memberships, custom fields; merged-into only when set.
    assert max(counts) <= 2 + 1 + 1 + 12 + 1 + 3


async def test_order_lines_under_a_list_are_loaded_in_one_statement(
    seeded: SeededWorld, gql: GraphQLClient
) -> None:
    query = """query($first: Int!) { customers(first: $first) { nodes {
        orders(first: 5) { nodes { lines { sku } } } } } }"""
    small = await _statements(seeded, gql, query, {"first": 5})
    large = await _statements(seeded, gql, query, {"first": 60})
    assert small == large == 4  # principal, page, orders, lines


async def test_a_compiled_list_page_reads_only_the_columns_its_fields_need(
    seeded: SeededWorld, gql: GraphQLClient
) -> None:
    query = """{ customers(first: 3) {
        edges { cursor node { displayName tags orders { totalCount } } } } }"""
    with recorded(seeded.app.state.engine) as log:
        answer = (await gql(query)).ok()
    assert len(answer["customers"]["edges"]) == 3
    page = next(s for s in log.statements if "ORDER BY customers.reference" in s)
    # Read: what displayName falls back on, tags, the id the orders hang on, the keys.
    for column in ("first_name", "last_name", "company", "reference", "tags", "id"):
        assert f"customers.{column}," in page
    # Not read: in place, as NULL (a column keeps its position).
    for column in ("password_hash", "search_text", "date_of_birth", "mfa_phone"):
        assert f"customers.{column}" not in page
        assert f"NULL AS {column}" in page


_ONE_ROOT = """query($a: ID!) {
  a: customer(id: $a) { reference orders(first: 3) { nodes { reference } } } }"""
_TWO_ROOTS = """query($a: ID!, $b: ID!) {
  a: customer(id: $a) { reference orders(first: 3) { nodes { reference } } }
  b: customer(id: $b) { reference orders(first: 3) { nodes { reference } } } }"""


async def test_two_customer_roots_share_the_statements_of_one(
    seeded: SeededWorld, gql: GraphQLClient
) -> None:
    # A lone root runs its batch at once (WholeLevelLoads.load_alone); two roots must
    # still wait for each other and share it.
    rows = await fetch(
        seeded.app.state.engine, select(Customer.id).order_by(Customer.order_count.desc()).limit(2)
    )
    a, b = (encode_global_id("Customer", r.id) for r in rows)
    one = await _statements(seeded, gql, _ONE_ROOT, {"a": a})
    two = await _statements(seeded, gql, _TWO_ROOTS, {"a": a, "b": b})
    assert two == one
    both = (await gql(_TWO_ROOTS, {"a": a, "b": b})).ok()
    assert both["a"] == (await gql(_ONE_ROOT, {"a": a})).ok()["a"]
    assert both["b"] == (await gql(_ONE_ROOT, {"a": b})).ok()["a"]
    assert both["a"]["orders"]["nodes"] and both["a"] != both["b"]
