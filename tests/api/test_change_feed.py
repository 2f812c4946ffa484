"""The change feed: every change in commit order, caught up exactly once, without PII."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import func, select

from custgraph.db.models import CustomerChange
from tests.api.test_lifecycle import make_customer
from tests.conftest import SeededWorld
from tests.support.client import GraphQLClient
from tests.support.statements import recorded
from tests.support.truth import fetch

FEED = """query($after: String, $first: Int) { customerChanges(after: $after, first: $first) {
  pageInfo { hasNextPage endCursor }
  edges { cursor node { sequence type customerId customerVersion changedFields
    details { field oldValue newValue } occurredAt customer { id version status } } } } }"""
CREATE = """mutation($last: String!) { customerCreate(input: {firstName: "Feed",
  lastName: $last, sendVerificationEmail: false}) {
  customer { id version } userErrors { code } } }"""
UPDATE = """mutation($id: ID!, $v: Int) { customerUpdate(input: {customerId: $id,
  city: "Lyon", phone: "+33 4 72 00 00 00", expectedVersion: $v}) {
  customer { version } userErrors { code } } }"""
STATUS = """mutation($id: ID!) { customerSetStatus(input: {customerId: $id, status: ACTIVE}) {
  customer { version } userErrors { code } } }"""
POINTS = """mutation($id: ID!) { customerPointsAdjust(input: {customerId: $id, delta: 25,
  reason: "feed"}) { customer { version } userErrors { code } } }"""
DELETE = """mutation($id: ID!) { customerDelete(input: {customerId: $id}) {
  deletedCustomerId userErrors { code } } }"""


async def _head(world: SeededWorld) -> str:
    (row,) = await fetch(
        world.app.state.engine, select(func.coalesce(func.max(CustomerChange.sequence), 0))
    )
    return str(row[0])


async def _read(gql: GraphQLClient, after: str, first: int = 100) -> list[dict[str, Any]]:
    """Every change after `after`, a page at a time, as a partner reads the feed."""
    nodes: list[dict[str, Any]] = []
    while True:
        page = (await gql(FEED, {"after": after, "first": first})).ok()["customerChanges"]
        nodes.extend(e["node"] for e in page["edges"])
        assert [e["cursor"] for e in page["edges"]] == [
            e["node"]["sequence"] for e in page["edges"]
        ]
        if not page["pageInfo"]["hasNextPage"]:
            return nodes
        after = page["pageInfo"]["endCursor"]


async def test_each_change_is_in_the_feed_once_in_commit_order(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    start = await _head(writable)
    created = (await wgql(CREATE, {"last": "Order"})).ok()["customerCreate"]["customer"]
    gid = created["id"]
    (await wgql(UPDATE, {"id": gid, "v": 1})).ok()
    refused = (await wgql(UPDATE, {"id": gid, "v": 1})).ok()["customerUpdate"]
    assert refused["userErrors"] == [{"code": "CONFLICT"}]  # refused: no change
    (await wgql(STATUS, {"id": gid})).ok()
    (await wgql(STATUS, {"id": gid})).ok()  # already ACTIVE: nothing written, no change
    (await wgql(POINTS, {"id": gid})).ok()
    (await wgql(DELETE, {"id": gid})).ok()

    changes = [c for c in await _read(wgql, start, first=2) if c["customerId"] == gid]
    assert [c["type"] for c in changes] == [
        "customer.created",
        "customer.updated",
        "customer.status_changed",
        "points.adjusted",
        "customer.deleted",
    ]
    sequences = [int(c["sequence"]) for c in changes]
    assert sequences == sorted(sequences) and len(set(sequences)) == 5
    assert [c["customerVersion"] for c in changes] == [1, 2, 3, 4, None]
    assert set(changes[1]["changedFields"]) == {"city", "phone"}
    # Personal data travels by name only; a status, by value.
    assert changes[1]["details"] == []
    assert changes[2]["details"] == [
        {"field": "status", "oldValue": "UNVERIFIED", "newValue": "ACTIVE"}
    ]
    assert changes[3]["details"] == [{"field": "pointsBalance", "oldValue": "0", "newValue": "25"}]
    assert changes[0]["customer"] is None  # deleted by now
    assert all(c["customer"] is None for c in changes)


async def test_values_a_reader_may_not_read_are_left_out(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    start = await _head(writable)
    gid = (await wgql(CREATE, {"last": "Points"})).ok()["customerCreate"]["customer"]["id"]
    (await wgql(POINTS, {"id": gid})).ok()
    # SUPPORT reads loyalty, VIEWER does not.
    for role, shown in (("SUPPORT", True), ("VIEWER", False)):
        reader = wgql.as_(writable.tokens[role])
        points = [c for c in await _read(reader, start) if c["type"] == "points.adjusted"]
        assert [c["customerId"] for c in points] == [gid], role
        assert points[0]["changedFields"] == ["pointsBalance"]
        assert bool(points[0]["details"]) is shown, role


async def test_concurrent_writers_leave_no_gap_and_no_repeat(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    start = await _head(writable)
    made = await asyncio.gather(*(wgql(CREATE, {"last": f"Burst{i}"}) for i in range(12)))
    ids = [m.ok()["customerCreate"]["customer"]["id"] for m in made]
    await asyncio.gather(*(wgql(POINTS, {"id": gid}) for gid in ids))
    changes = await _read(wgql, start, first=5)
    sequences = [int(c["sequence"]) for c in changes]
    # Nothing else writes this world meanwhile: the numbers run on without a gap.
    assert sequences == list(range(int(start) + 1, int(start) + 1 + len(sequences)))
    mine = [c for c in changes if c["customerId"] in ids]
    assert len(mine) == 24
    for gid in ids:
        kinds = [c["type"] for c in mine if c["customerId"] == gid]
        assert kinds == ["customer.created", "points.adjusted"]


async def test_the_feed_needs_customers_read_and_is_not_for_customers(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    assert (await wgql.as_(None)(FEED)).codes == ["UNAUTHENTICATED"]
    made = await make_customer(writable)
    response = await wgql.as_(made.token)(FEED)
    assert response.codes == ["FORBIDDEN"]


async def test_reading_the_feed_runs_the_same_statements_for_any_page_size(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    start = await _head(writable)
    made = await asyncio.gather(*(wgql(CREATE, {"last": f"Count{i}"}) for i in range(30)))
    assert all(m.ok()["customerCreate"]["userErrors"] == [] for m in made)
    counts = []
    for size in (3, 30):
        with recorded(writable.app.state.engine) as log:
            page = (await wgql(FEED, {"after": start, "first": size})).ok()["customerChanges"]
        assert len(page["edges"]) == size
        counts.append(log.count)
    assert counts[0] == counts[1], counts


async def test_a_bad_cursor_is_a_bad_request(wgql: GraphQLClient) -> None:
    for after in ("abc", "-1", "9" * 30):
        assert (await wgql(FEED, {"after": after})).codes == ["BAD_REQUEST"], after
