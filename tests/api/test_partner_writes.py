"""Partner writes: upserts by external id that never overwrite blindly, and safe retries."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from custgraph.db.models import Customer, CustomerChange
from tests.conftest import SeededWorld
from tests.support.client import GraphQLClient
from tests.support.truth import fetch

UPSERT = """mutation($input: CustomerUpsertInput!) { customerUpsert(input: $input) {
  customer { id externalId version firstName city phone status }
  created conflict { currentVersion changedFields } userErrors { field code } } }"""
UPDATE = """mutation($input: CustomerUpdateInput!) { customerUpdate(input: $input) {
  customer { version } userErrors { code } } }"""


def _external() -> str:
    return f"ERP-{uuid.uuid4().hex[:10]}"


async def _upsert(gql: GraphQLClient, **fields: Any) -> dict[str, Any]:
    payload: dict[str, Any] = (await gql(UPSERT, {"input": fields})).ok()["customerUpsert"]
    return payload


async def _changes(world: SeededWorld) -> int:
    (row,) = await fetch(world.app.state.engine, select(func.count()).select_from(CustomerChange))
    return int(row[0])


async def test_an_upsert_creates_then_updates_the_customer_with_that_external_id(
    wgql: GraphQLClient,
) -> None:
    ext = _external()
    made = await _upsert(wgql, externalId=ext, firstName="Ina", lastName="Erp", city="Linz")
    assert made["userErrors"] == [] and made["created"] is True
    assert made["customer"]["externalId"] == ext and made["customer"]["version"] == 1
    assert made["customer"]["status"] == "UNVERIFIED"
    again = await _upsert(wgql, externalId=ext, city="Wels", expectedVersion=1)
    assert again["created"] is False
    assert again["customer"]["id"] == made["customer"]["id"]
    assert (again["customer"]["city"], again["customer"]["version"]) == ("Wels", 2)
    assert again["customer"]["firstName"] == "Ina"  # not given: unchanged
    same = await _upsert(wgql, externalId=ext, city="Wels")
    assert same["customer"]["version"] == 2  # nothing changed, nothing written


async def test_a_stale_expected_version_is_a_conflict_naming_what_changed(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    ext = _external()
    made = await _upsert(wgql, externalId=ext, firstName="Ina", lastName="Erp")
    gid = made["customer"]["id"]
    # Staff edit the record in the back office after the ERP's last sync (version 1).
    edit = {"customerId": gid, "city": "Graz", "phone": "+43 316 123456"}
    (await wgql(UPDATE, {"input": edit})).ok()
    before = await _changes(writable)
    stale = await _upsert(wgql, externalId=ext, city="Linz", expectedVersion=1)
    assert stale["userErrors"] == [{"field": ["expectedVersion"], "code": "CONFLICT"}]
    assert stale["created"] is None
    assert stale["conflict"]["currentVersion"] == 2
    assert set(stale["conflict"]["changedFields"]) == {"city", "phone"}
    assert stale["customer"]["city"] == "Graz"  # the current record, not overwritten
    assert await _changes(writable) == before
    merged = await _upsert(wgql, externalId=ext, city="Graz", firstName="Ina", expectedVersion=2)
    assert merged["userErrors"] == [] and merged["customer"]["version"] == 2


async def test_upsert_refusals_write_nothing(wgql: GraphQLClient, writable: SeededWorld) -> None:
    ext = _external()
    await _upsert(
        wgql, externalId=ext, firstName="Ina", lastName="Erp", email=f"{ext}@erp.example.com"
    )
    before = await _changes(writable)
    cases = [
        (
            {"externalId": _external(), "firstName": "X", "lastName": "Y", "expectedVersion": 3},
            ["expectedVersion"],
            "NOT_FOUND",
        ),
        ({"externalId": ext, "email": "other@erp.example.com"}, ["email"], "NOT_ALLOWED"),
        ({"externalId": _external(), "firstName": "Only"}, ["lastName"], "REQUIRED"),
        ({"externalId": "  "}, ["externalId"], "REQUIRED"),
    ]
    for fields, field, code in cases:
        refused = await _upsert(wgql, **fields)
        assert refused["userErrors"] == [{"field": field, "code": code}], fields
        assert refused["customer"] is None
    assert await _changes(writable) == before


async def test_concurrent_upserts_of_a_new_external_id_make_one_customer(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    ext = _external()
    answers = await asyncio.gather(
        *(_upsert(wgql, externalId=ext, firstName="Ina", lastName=f"Race{i}") for i in range(8))
    )
    assert all(a["userErrors"] == [] for a in answers), answers
    assert sum(bool(a["created"]) for a in answers) == 1
    assert len({a["customer"]["id"] for a in answers}) == 1
    rows = await fetch(
        writable.app.state.engine, select(func.count()).where(Customer.external_id == ext)
    )
    assert rows[0][0] == 1


# --- idempotency keys on the writes partners retry ----------------------------------

Case = Callable[[GraphQLClient], Awaitable[tuple[str, dict[str, Any], dict[str, Any]]]]


async def _customer(gql: GraphQLClient) -> str:
    made = await _upsert(gql, externalId=_external(), firstName="Key", lastName="Retry")
    gid: str = made["customer"]["id"]
    return gid


async def _address(gql: GraphQLClient, gid: str) -> str:
    done = await gql(
        """mutation($id: ID!) { customerAddressCreate(input: {customerId: $id, address: {
        line1: "1 Way", city: "Linz", country: "AT"}}) { address { id } } }""",
        {"id": gid},
    )
    address_id: str = done.ok()["customerAddressCreate"]["address"]["id"]
    return address_id


async def _note(gql: GraphQLClient, gid: str) -> str:
    done = await gql(
        """mutation($id: ID!) { customerNoteAdd(input: {customerId: $id, body: "first"}) {
        note { id } } }""",
        {"id": gid},
    )
    note_id: str = done.ok()["customerNoteAdd"]["note"]["id"]
    return note_id


async def _create(gql: GraphQLClient) -> tuple[str, dict[str, Any], dict[str, Any]]:
    given = {"firstName": "Key", "lastName": "Create", "sendVerificationEmail": False}
    return "customerCreate", given, {**given, "lastName": "Other"}


async def _update(gql: GraphQLClient) -> tuple[str, dict[str, Any], dict[str, Any]]:
    given = {"customerId": await _customer(gql), "city": "Steyr"}
    return "customerUpdate", given, {**given, "city": "Enns"}


async def _upsert_case(gql: GraphQLClient) -> tuple[str, dict[str, Any], dict[str, Any]]:
    given = {"externalId": _external(), "firstName": "Key", "lastName": "Upsert"}
    return "customerUpsert", given, {**given, "lastName": "Other"}


async def _merge(gql: GraphQLClient) -> tuple[str, dict[str, Any], dict[str, Any]]:
    given = {"sourceId": await _customer(gql), "targetId": await _customer(gql)}
    return "customerMerge", given, {**given, "overwriteTargetValues": True}


async def _erase(gql: GraphQLClient) -> tuple[str, dict[str, Any], dict[str, Any]]:
    given = {"customerId": await _customer(gql)}
    return "customerErase", given, {**given, "expectedVersion": 1}


async def _address_create(gql: GraphQLClient) -> tuple[str, dict[str, Any], dict[str, Any]]:
    address = {"line1": "2 Way", "city": "Linz", "country": "AT"}
    given = {"customerId": await _customer(gql), "address": address}
    return "customerAddressCreate", given, {**given, "address": {**address, "city": "Wels"}}


async def _address_update(gql: GraphQLClient) -> tuple[str, dict[str, Any], dict[str, Any]]:
    address = {"line1": "3 Way", "city": "Linz", "country": "AT"}
    given = {"addressId": await _address(gql, await _customer(gql)), "address": address}
    return "customerAddressUpdate", given, {**given, "address": {**address, "city": "Wels"}}


async def _address_delete(gql: GraphQLClient) -> tuple[str, dict[str, Any], dict[str, Any]]:
    given = {"addressId": await _address(gql, await _customer(gql))}
    return "customerAddressDelete", given, {**given, "expectedVersion": 9}


async def _address_default(gql: GraphQLClient) -> tuple[str, dict[str, Any], dict[str, Any]]:
    gid = await _customer(gql)
    await _address(gql, gid)  # the first address holds both defaults
    given = {"addressId": await _address(gql, gid), "kind": "BILLING"}
    return "customerAddressSetDefault", given, {**given, "kind": "SHIPPING"}


async def _note_add(gql: GraphQLClient) -> tuple[str, dict[str, Any], dict[str, Any]]:
    given = {"customerId": await _customer(gql), "body": "call back"}
    return "customerNoteAdd", given, {**given, "body": "call later"}


async def _note_update(gql: GraphQLClient) -> tuple[str, dict[str, Any], dict[str, Any]]:
    given = {"noteId": await _note(gql, await _customer(gql)), "body": "second"}
    return "customerNoteUpdate", given, {**given, "body": "third"}


async def _note_delete(gql: GraphQLClient) -> tuple[str, dict[str, Any], dict[str, Any]]:
    given = {"noteId": await _note(gql, await _customer(gql))}
    return "customerNoteDelete", given, {**given, "expectedVersion": 9}


CASES: list[Case] = [
    _create,
    _update,
    _upsert_case,
    _merge,
    _erase,
    _address_create,
    _address_update,
    _address_delete,
    _address_default,
    _note_add,
    _note_update,
    _note_delete,
]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.__name__.strip("_"))
async def test_a_retry_with_the_idempotency_key_answers_alike_and_writes_once(
    wgql: GraphQLClient, writable: SeededWorld, case: Case
) -> None:
    mutation, given, other = await case(wgql)
    name = mutation[0].upper() + mutation[1:]
    document = (
        f"mutation($input: {name}Input!) {{ {mutation}(input: $input) {{ "
        "customer { id version } userErrors { field code } } }"
    )
    key = uuid.uuid4().hex
    before = await _changes(writable)
    first = (await wgql(document, {"input": {**given, "idempotencyKey": key}})).ok()[mutation]
    assert first["userErrors"] == [], first
    written = await _changes(writable)
    assert written > before
    again = (await wgql(document, {"input": {**given, "idempotencyKey": key}})).ok()[mutation]
    assert again == first
    assert await _changes(writable) == written  # nothing more
    reused = (await wgql(document, {"input": {**other, "idempotencyKey": key}})).ok()[mutation]
    assert reused["userErrors"] == [{"field": ["idempotencyKey"], "code": "IDEMPOTENCY_KEY_REUSED"}]
    assert await _changes(writable) == written
    # Another key is another request.
    if mutation in ("customerCreate", "customerNoteAdd", "customerAddressCreate"):
        fresh = (await wgql(document, {"input": {**given, "idempotencyKey": key + "x"}})).ok()
        assert fresh[mutation]["userErrors"] == []
        assert await _changes(writable) > written
