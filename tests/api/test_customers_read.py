"""Reading customers: paging, sorting, searching, filtering, nested data, ids."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from custgraph.db.models import Customer, GiftCard, Order, PointsEntry
from custgraph.global_id import encode_global_id
from tests.api.queries import DETAIL, LIST_PAGE
from tests.conftest import SEEDED_CUSTOMERS, SeededWorld
from tests.support.client import GraphQLClient
from tests.support.truth import fetch

SORTS = [
    "REFERENCE",
    "NAME",
    "EMAIL",
    "REGISTERED_AT",
    "UPDATED_AT",
    "TOTAL_REVENUE",
    "POINTS_BALANCE",
]

PAGE = """
query Page($first: Int, $after: String, $last: Int, $before: String, $search: String,
           $filter: CustomerFilter, $sort: CustomerSort) {
  customers(first: $first, after: $after, last: $last, before: $before, search: $search,
            filter: $filter, sort: $sort) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id reference } }
  }
}
"""


async def _all_pages(gql: GraphQLClient, size: int, **variables: Any) -> list[str]:
    references: list[str] = []
    after = None
    for _ in range(SEEDED_CUSTOMERS + 1):
        data = (await gql(PAGE, {"first": size, "after": after, **variables})).ok()
        connection = data["customers"]
        references += [e["node"]["reference"] for e in connection["edges"]]
        if not connection["pageInfo"]["hasNextPage"]:
            return references
        after = connection["pageInfo"]["endCursor"]
    raise AssertionError("paging forwards did not end")


async def _all_pages_backwards(gql: GraphQLClient, size: int, **variables: Any) -> list[str]:
    references: list[str] = []
    before = None
    for _ in range(SEEDED_CUSTOMERS + 1):
        data = (await gql(PAGE, {"last": size, "before": before, **variables})).ok()
        connection = data["customers"]
        references = [e["node"]["reference"] for e in connection["edges"]] + references
        if not connection["pageInfo"]["hasPreviousPage"]:
            return references
        before = connection["pageInfo"]["startCursor"]
    raise AssertionError("paging backwards did not end")


async def test_list_page_serves_every_nested_relation(gql: GraphQLClient) -> None:
    data = (await gql(LIST_PAGE, {"first": 50})).ok()
    connection = data["customers"]
    assert connection["totalCount"] == SEEDED_CUSTOMERS
    assert len(connection["edges"]) == 50
    assert connection["pageInfo"]["hasNextPage"] is True
    nodes = [e["node"] for e in connection["edges"]]
    assert any(n["orders"]["nodes"] for n in nodes)
    assert any(n["pointsHistory"]["nodes"] for n in nodes)
    assert any(n["giftCards"] for n in nodes)
    assert any(n["notes"]["nodes"] for n in nodes)
    for node in nodes:
        assert len(node["orders"]["nodes"]) == min(10, node["orderCount"])
        assert node["orders"]["totalCount"] == node["orderCount"]
        placed = [o["placedAt"] for o in node["orders"]["nodes"]]
        assert placed == sorted(placed, reverse=True)


@pytest.mark.parametrize("sort", SORTS)
@pytest.mark.parametrize("direction", ["ASC", "DESC"])
async def test_cursors_page_every_sort_in_both_directions_without_gaps(
    gql: GraphQLClient, sort: str, direction: str
) -> None:
    order = {"sort": {"field": sort, "direction": direction}}
    whole = (await gql(PAGE, {"first": 100, **order})).ok()["customers"]
    expected = [e["node"]["reference"] for e in whole["edges"]]
    assert len(expected) == SEEDED_CUSTOMERS
    assert await _all_pages(gql, 7, **order) == expected
    assert await _all_pages_backwards(gql, 9, **order) == expected


async def test_sort_orders_by_the_field_then_id(seeded: SeededWorld, gql: GraphQLClient) -> None:
    data = (
        await gql(PAGE, {"first": 100, "sort": {"field": "TOTAL_REVENUE", "direction": "DESC"}})
    ).ok()
    rows = await fetch(
        seeded.app.state.engine,
        select(Customer.reference).order_by(Customer.total_revenue.desc(), Customer.id.desc()),
    )
    assert [e["node"]["reference"] for e in data["customers"]["edges"]] == [
        r.reference for r in rows
    ]


@pytest.mark.parametrize("first", [101, 1000, -1])
async def test_first_outside_0_to_100_is_a_bad_request(gql: GraphQLClient, first: int) -> None:
    response = await gql(PAGE, {"first": first})
    assert response.codes == ["BAD_REQUEST"]
    assert "between 0 and 100" in response.errors[0]["message"]
    assert response.data is None


async def test_nested_first_above_100_is_a_bad_request(gql: GraphQLClient) -> None:
    response = await gql("{ customers(first: 1) { nodes { orders(first: 500) { totalCount } } } }")
    assert response.codes == ["BAD_REQUEST"]
    assert response.data["customers"]["nodes"][0]["orders"] is None


async def test_first_and_last_together_are_a_bad_request(gql: GraphQLClient) -> None:
    response = await gql(PAGE, {"first": 5, "last": 5})
    assert response.codes == ["BAD_REQUEST"]


@pytest.mark.parametrize("cursor", ["garbage", "e30", "W10", "WyJSRUZFUkVOQ0UiXQ", "%%%"])
async def test_malformed_cursor_is_a_bad_request(gql: GraphQLClient, cursor: str) -> None:
    response = await gql(PAGE, {"first": 5, "after": cursor})
    assert response.codes == ["BAD_REQUEST"]
    assert "cursor" in response.errors[0]["message"]


async def test_cursor_of_another_sort_is_a_bad_request(gql: GraphQLClient) -> None:
    data = (await gql(PAGE, {"first": 2})).ok()
    cursor = data["customers"]["pageInfo"]["endCursor"]
    response = await gql(
        PAGE, {"first": 2, "after": cursor, "sort": {"field": "NAME", "direction": "ASC"}}
    )
    assert response.codes == ["BAD_REQUEST"]
    assert "another sort" in response.errors[0]["message"]


async def test_search_matches_reference_names_email_and_phone_case_insensitively(
    seeded: SeededWorld, gql: GraphQLClient
) -> None:
    row = (
        await fetch(
            seeded.app.state.engine, select(Customer).where(Customer.phone.is_not(None)).limit(1)
        )
    )[0]
    searches = [
        row.reference.lower(),
        row.last_name.upper(),
        f"{row.first_name} {row.last_name}".swapcase(),
        row.email.upper(),
        row.phone,
        row.phone[-6:],
    ]
    for search in searches:
        data = (await gql(PAGE, {"first": 100, "search": search})).ok()
        found = [e["node"]["reference"] for e in data["customers"]["edges"]]
        assert row.reference in found, search
        assert data["customers"]["totalCount"] == len(found)


async def test_search_treats_like_wildcards_literally(
    seeded: SeededWorld, gql: GraphQLClient
) -> None:
    rows = await fetch(seeded.app.state.engine, select(Customer.search_text))
    for wildcard in ["%", "_", "\\"]:
        data = (await gql(PAGE, {"first": 100, "search": wildcard})).ok()
        literal_matches = sum(wildcard in r.search_text for r in rows)
        assert data["customers"]["totalCount"] == literal_matches < len(rows), wildcard


async def _references(gql: GraphQLClient, flt: dict[str, Any]) -> set[str]:
    data = (await gql(PAGE, {"first": 100, "filter": flt})).ok()
    found = {e["node"]["reference"] for e in data["customers"]["edges"]}
    assert data["customers"]["totalCount"] == len(found)
    return found


async def test_filters_select_exactly_the_matching_customers(
    seeded: SeededWorld, gql: GraphQLClient
) -> None:
    rows = await fetch(seeded.app.state.engine, select(Customer))
    by_ref = {r.reference: r for r in rows}

    def where(predicate: Any) -> set[str]:
        return {ref for ref, r in by_ref.items() if predicate(r)}

    some_tag = next(t for r in rows for t in r.tags)
    some_level = next(r.level for r in rows if r.level)
    rep = next(r.sales_rep_id for r in rows if r.sales_rep_id)
    branch = next((r.branch for r in rows if r.branch), None)
    middle = sorted(r.registered_at for r in rows)[len(rows) // 2].date()

    checks: list[tuple[dict[str, Any], set[str]]] = [
        ({"status": ["ACTIVE"]}, where(lambda r: r.status == "ACTIVE")),
        ({"status": ["BLOCKED", "INACTIVE"]}, where(lambda r: r.status in ("BLOCKED", "INACTIVE"))),
        ({"tags": [some_tag, "no-such-tag"]}, where(lambda r: some_tag in r.tags)),
        ({"level": [some_level]}, where(lambda r: r.level == some_level)),
        (
            {"salesRepId": encode_global_id("StaffUser", rep)},
            where(lambda r: r.sales_rep_id == rep),
        ),
        ({"emailVerified": False}, where(lambda r: not r.email_verified)),
        ({"hasOrders": True}, where(lambda r: r.order_count > 0)),
        ({"hasOrders": False}, where(lambda r: r.order_count == 0)),
        ({"registeredFrom": middle.isoformat()}, where(lambda r: r.registered_at.date() >= middle)),
        ({"registeredTo": middle.isoformat()}, where(lambda r: r.registered_at.date() <= middle)),
        (
            {"status": ["ACTIVE"], "hasOrders": True},
            where(lambda r: r.status == "ACTIVE" and r.order_count > 0),
        ),
    ]
    if branch:
        checks.append(({"branch": branch}, where(lambda r: r.branch == branch)))
    for flt, expected in checks:
        assert expected, f"seed data has no example for {flt}"
        assert await _references(gql, flt) == expected, flt
    assert where(lambda r: r.order_count == 0) | where(lambda r: r.order_count > 0) == set(by_ref)


async def test_every_customers_order_count_is_the_number_of_its_orders(
    seeded: SeededWorld,
) -> None:
    # The list pages show orderCount from the customer row; it must be the truth.
    engine = seeded.app.state.engine
    kept = dict(await fetch(engine, select(Customer.id, Customer.order_count)))
    counted = dict(
        await fetch(engine, select(Order.customer_id, func.count()).group_by(Order.customer_id))
    )
    assert kept == {k: counted.get(k, 0) for k in kept}
    assert any(kept.values())


async def test_detail_query_answers_every_field_from_the_database(
    seeded: SeededWorld, gql: GraphQLClient
) -> None:
    engine = seeded.app.state.engine
    busiest = (await fetch(engine, select(Customer).order_by(Customer.order_count.desc())))[0]
    data = (await gql(DETAIL, {"id": encode_global_id("Customer", busiest.id)})).ok()
    customer = data["customer"]
    assert customer["reference"] == busiest.reference
    assert customer["email"] == busiest.email
    assert customer["version"] == busiest.version
    assert customer["orderCount"] == busiest.order_count
    assert customer["orders"]["totalCount"] == busiest.order_count
    assert Decimal(customer["totalRevenue"]["amount"]) == busiest.total_revenue
    assert Decimal(customer["creditBalance"]["amount"]) == busiest.credit_balance
    points = customer["pointsHistory"]["nodes"]
    assert customer["pointsBalance"] == (points[0]["balanceAfter"] if points else 0)
    orders = customer["orders"]["nodes"]
    for order in orders:
        total = sum(Decimal(line["total"]["amount"]) for line in order["lines"])
        assert total == Decimal(order["grandTotal"]["amount"])
    revenue = await fetch(
        engine, select(func.sum(Order.grand_total)).where(Order.customer_id == busiest.id)
    )
    assert Decimal(customer["totalRevenue"]["amount"]) == revenue[0][0]
    if customer["addresses"]:
        assert customer["defaultBillingAddress"]["id"] in {a["id"] for a in customer["addresses"]}


async def test_nested_connections_page_on_with_their_cursors(
    seeded: SeededWorld, gql: GraphQLClient
) -> None:
    engine = seeded.app.state.engine
    busiest = (await fetch(engine, select(Customer).order_by(Customer.order_count.desc())))[0]
    query = """query($id: ID!, $after: String) { customer(id: $id) {
        orders(first: 3, after: $after) { pageInfo { hasNextPage endCursor }
                                          nodes { reference } } } }"""
    seen: list[str] = []
    after = None
    for _ in range(100):
        data = (
            await gql(query, {"id": encode_global_id("Customer", busiest.id), "after": after})
        ).ok()
        orders = data["customer"]["orders"]
        seen += [o["reference"] for o in orders["nodes"]]
        if not orders["pageInfo"]["hasNextPage"]:
            break
        after = orders["pageInfo"]["endCursor"]
    rows = await fetch(
        engine,
        select(Order.reference)
        .where(Order.customer_id == busiest.id)
        .order_by(Order.placed_at.desc(), Order.id.desc()),
    )
    assert seen == [r.reference for r in rows]


async def test_ledger_balances_equal_the_newest_entries(seeded: SeededWorld) -> None:
    engine = seeded.app.state.engine
    customers = await fetch(engine, select(Customer.id, Customer.points_balance))
    newest = await fetch(
        engine,
        select(PointsEntry.customer_id, PointsEntry.balance_after).order_by(
            PointsEntry.customer_id, PointsEntry.created_at.desc(), PointsEntry.id.desc()
        ),
    )
    latest: dict[int, int] = {}
    for row in newest:
        latest.setdefault(row.customer_id, row.balance_after)
    for row in customers:
        assert row.points_balance == latest.get(row.id, 0)


async def test_gift_card_codes_show_in_full_only_with_giftcards_write(
    seeded: SeededWorld, gql: GraphQLClient
) -> None:
    card = (await fetch(seeded.app.state.engine, select(GiftCard).limit(1)))[0]
    query = "query($id: ID!) { customer(id: $id) { giftCards { id code } } }"
    variables = {"id": encode_global_id("Customer", card.customer_id)}
    owner_codes = (await gql(query, variables)).ok()["customer"]["giftCards"]
    support_codes = (await gql.as_(seeded.tokens["SUPPORT"])(query, variables)).ok()
    assert card.code in [c["code"] for c in owner_codes]
    assert card.code[-4:] in [c["code"] for c in support_codes["customer"]["giftCards"]]
    assert card.code not in [c["code"] for c in support_codes["customer"]["giftCards"]]


async def test_node_and_nodes_fetch_any_object_by_global_id(
    seeded: SeededWorld, gql: GraphQLClient
) -> None:
    engine = seeded.app.state.engine
    customer = (await fetch(engine, select(Customer.id, Customer.reference).limit(1)))[0]
    order = (await fetch(engine, select(Order.id, Order.reference).limit(1)))[0]
    query = """query($ids: [ID!]!) { nodes(ids: $ids) { __typename id
               ... on Customer { reference } ... on Order { reference } } }"""
    ids = [encode_global_id("Customer", customer.id), encode_global_id("Order", order.id)]
    nodes = (await gql(query, {"ids": ids})).ok()["nodes"]
    assert [n["__typename"] for n in nodes] == ["Customer", "Order"]
    assert [n["reference"] for n in nodes] == [customer.reference, order.reference]
    assert [n["id"] for n in nodes] == ids
    single = (await gql("query($id: ID!) { node(id: $id) { id } }", {"id": ids[1]})).ok()
    assert single["node"]["id"] == ids[1]


async def test_unknown_id_is_not_found_and_malformed_id_is_a_bad_request(
    gql: GraphQLClient,
) -> None:
    query = "query($id: ID!) { customer(id: $id) { reference } }"
    missing = await gql(query, {"id": encode_global_id("Customer", 99_999_999)})
    assert missing.codes == ["NOT_FOUND"]
    assert missing.data == {"customer": None}
    for bad in ["nonsense", encode_global_id("Order", 1), "Q3VzdG9tZXI6YWJj", ""]:
        response = await gql(query, {"id": bad})
        assert response.codes == ["BAD_REQUEST"], bad
        assert response.data == {"customer": None}


async def test_nodes_reports_each_failing_id_on_its_own_path(gql: GraphQLClient) -> None:
    query = "query($ids: [ID!]!) { nodes(ids: $ids) { id } }"
    good = encode_global_id("Customer", 1)
    response = await gql(query, {"ids": [good, "junk", encode_global_id("Customer", 10**8)]})
    assert response.data["nodes"][0] == {"id": good}
    assert response.data["nodes"][1:] == [None, None]
    assert sorted((tuple(e["path"]), e["extensions"]["code"]) for e in response.errors) == [
        (("nodes", 1), "BAD_REQUEST"),
        (("nodes", 2), "NOT_FOUND"),
    ]


async def test_unknown_enum_value_is_a_bad_request(gql: GraphQLClient) -> None:
    response = await gql(PAGE, {"first": 5, "filter": {"status": ["SLEEPING"]}})
    assert response.status == 400
    assert response.codes == ["BAD_REQUEST"]
    assert "data" not in response.body


async def test_registered_filter_bounds_are_whole_days(
    seeded: SeededWorld, gql: GraphQLClient
) -> None:
    rows = await fetch(seeded.app.state.engine, select(Customer.reference, Customer.registered_at))
    day = rows[0].registered_at.date()
    found = await _references(
        gql, {"registeredFrom": day.isoformat(), "registeredTo": day.isoformat()}
    )
    assert rows[0].reference in found
    later = (day + timedelta(days=1)).isoformat()
    assert rows[0].reference not in await _references(gql, {"registeredFrom": later})
