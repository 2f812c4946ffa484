"""What a partner system reads by: its own ids, and what changed since a time."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from tests.support.client import GraphQLClient

CREATE = """mutation($ext: String!, $last: String!) { customerCreate(input: {firstName: "Erp",
  lastName: $last, externalId: $ext, sendVerificationEmail: false}) {
  customer { id externalId updatedAt } userErrors { field code } } }"""
BY_EXTERNAL = """query($ext: String) { customer(externalId: $ext) { id externalId lastName } }"""
LIST = """query($filter: CustomerFilter, $search: String) {
  customers(first: 100, filter: $filter, search: $search) { totalCount nodes { id } } }"""
TOUCH = """mutation($id: ID!) { customerUpdate(input: {customerId: $id, city: "Graz"}) {
  customer { updatedAt } userErrors { code } } }"""


async def _made(wgql: GraphQLClient, count: int = 3) -> list[dict[str, str]]:
    run = uuid.uuid4().hex[:8]
    made = []
    for i in range(count):
        payload = (await wgql(CREATE, {"ext": f"ERP-{run}-{i}", "last": f"P{run}{i}"})).ok()
        assert payload["customerCreate"]["userErrors"] == []
        made.append(payload["customerCreate"]["customer"])
    return made


async def test_a_customer_is_read_by_its_external_id_on_both_paths(wgql: GraphQLClient) -> None:
    first, *_ = await _made(wgql)
    # The second read is offered to the compiled path, which leaves it to the general one.
    for _ in range(2):
        found = (await wgql(BY_EXTERNAL, {"ext": first["externalId"]})).ok()["customer"]
        assert found["id"] == first["id"]
    assert (await wgql(BY_EXTERNAL, {"ext": "ERP-nobody"})).codes == ["NOT_FOUND"]
    both = await wgql(
        """query($id: ID!) { customer(id: $id, externalId: "x") { id } }""", {"id": first["id"]}
    )
    assert both.codes == ["BAD_REQUEST"]
    assert (await wgql("{ customer { id } }")).codes == ["BAD_REQUEST"]


async def test_the_list_filters_and_searches_by_external_id(wgql: GraphQLClient) -> None:
    made = await _made(wgql)
    ids = [m["externalId"] for m in made]
    listed = (await wgql(LIST, {"filter": {"externalId": ids[:2]}})).ok()["customers"]
    assert {n["id"] for n in listed["nodes"]} == {made[0]["id"], made[1]["id"]}
    assert listed["totalCount"] == 2
    searched = (await wgql(LIST, {"search": f"  {ids[2]} "})).ok()["customers"]
    assert [n["id"] for n in searched["nodes"]] == [made[2]["id"]]
    # Part of an external id is not a match (names and email are searched as text).
    assert (await wgql(LIST, {"search": ids[2][:-1] + "x"})).ok()["customers"]["nodes"] == []


async def test_the_list_filters_by_when_customers_changed(wgql: GraphQLClient) -> None:
    made = await _made(wgql, 2)
    ids = [m["externalId"] for m in made]
    before = datetime.now(UTC) - timedelta(milliseconds=1)
    touched = (await wgql(TOUCH, {"id": made[1]["id"]})).ok()["customerUpdate"]["customer"]
    after = datetime.now(UTC) + timedelta(milliseconds=1)

    def window(**bounds: datetime) -> dict[str, object]:
        return {"externalId": ids, **{k: v.isoformat() for k, v in bounds.items()}}

    since = (await wgql(LIST, {"filter": window(updatedFrom=before)})).ok()["customers"]
    assert [n["id"] for n in since["nodes"]] == [made[1]["id"]]
    until = (await wgql(LIST, {"filter": window(updatedTo=before)})).ok()["customers"]
    assert [n["id"] for n in until["nodes"]] == [made[0]["id"]]
    inside = window(updatedFrom=before, updatedTo=after)
    assert (await wgql(LIST, {"filter": inside})).ok()["customers"]["totalCount"] == 1
    assert datetime.fromisoformat(touched["updatedAt"]) >= before
