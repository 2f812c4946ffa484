"""Merging duplicate customers over HTTP, and the preview that shows what a merge would do."""

from __future__ import annotations

import asyncio
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from custgraph.db.models import CreditEntry, PointsEntry
from custgraph.domain import merge as merge_domain
from custgraph.global_id import encode_global_id
from tests.api.test_lifecycle import (
    ERASE,
    PASSWORD,
    WHO,
    Made,
    make_customer,
    only_error,
    snapshot,
)
from tests.conftest import SeededWorld
from tests.support.client import GraphQLClient
from tests.support.truth import fetch

MERGE = """mutation($input: CustomerMergeInput!) { customerMerge(input: $input) {
  customer { id version } userErrors { field code message } } }"""
PREVIEW = """query($input: CustomerMergeInput!) { customerMergePreview(input: $input) {
  addressesMoved ordersMoved notesMoved giftCardsMoved membershipsMoved eventsMoved
  pointsMoved creditMoved { amount currency } resultingTags
  fieldChanges { field currentValue resultingValue }
  userErrors { field code message } } }"""
TARGET_VIEW = """query($id: ID!) { customer(id: $id) {
  id version status email emailVerified salutation firstName lastName phone company gender
  dateOfBirth locale city idDocument { type number } tags mergedInto { id }
  pointsBalance creditBalance { amount } orderCount totalRevenue { amount }
  addresses { id line1 isDefaultBilling isDefaultShipping }
  defaultBillingAddress { id } defaultShippingAddress { id }
  orders(first: 50) { totalCount }
  notes(first: 50) { totalCount }
  giftCards { id }
  memberships { number }
  customFields { key value }
  pointsHistory(first: 5) { nodes { delta balanceAfter source } }
  creditHistory(first: 5) { nodes { amount { amount } balanceAfter { amount } } }
  events(first: 50) { totalCount nodes { type changes { field oldValue newValue } } } } }"""
CUSTOMER_LOGIN = """mutation($email: String!, $password: String!) {
  customerLogin(input: {email: $email, password: $password}) { token userErrors { code } } }"""
# Customer field as the preview names it -> how to read it from TARGET_VIEW.
FIELD_READERS = {
    "idDocument": lambda c: (
        f"{c['idDocument']['type']} {c['idDocument']['number']}" if c["idDocument"] else None
    ),
}


def merge_input(source: Made, target: Made, **options: Any) -> dict[str, Any]:
    return {"input": {"sourceId": source.gid, "targetId": target.gid, **options}}


async def view(wgql: GraphQLClient, made: Made) -> dict[str, Any]:
    customer: dict[str, Any] = (await wgql(TARGET_VIEW, {"id": made.gid})).ok()["customer"]
    return customer


def value_of(customer: dict[str, Any], field: str) -> str | None:
    if field.startswith("customFields."):
        key = field.removeprefix("customFields.")
        return next((f["value"] for f in customer["customFields"] if f["key"] == key), None)
    if field in FIELD_READERS:
        return FIELD_READERS[field](customer)
    value = customer[field]
    return None if value is None else str(value)


async def duplicates(world: SeededWorld) -> tuple[Made, Made]:
    """A source and a target with overlapping and differing data."""
    source = await make_customer(
        world,
        first_name="Ada",
        last_name="Byron",
        phone="+33600000001",
        city="Paris",
        date_of_birth=date(1990, 12, 10),
        id_document_type="PASSPORT",
        id_document_number="P-778899",
        addresses=2,
        orders=(Decimal("10.00"), Decimal("20.50")),
        points=30,
        credit=Decimal("5.00"),
        gift_cards=((Decimal("12.00"), True),),
        notes=1,
        memberships=1,
        tags=("VIP", "newsletter"),
        custom_fields={"vat_number": "FR-SOURCE", "employees": "12"},
        events=2,
    )
    target = await make_customer(
        world,
        first_name="Ada",
        last_name="Lovelace",
        city="Lyon",
        company="Engines Ltd",
        addresses=1,
        orders=(Decimal("5.00"),),
        points=10,
        credit=Decimal("1.00"),
        tags=("newsletter", "B2B"),
        custom_fields={"vat_number": "FR-TARGET"},
        events=1,
    )
    return source, target


async def test_merge_moves_everything_into_the_target_in_one_go(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    source, target = await duplicates(writable)
    assert (await wgql.as_(source.token)(WHO)).ok()
    src, tgt = await view(wgql, source), await view(wgql, target)

    data = (
        await wgql(
            MERGE,
            merge_input(
                source,
                target,
                expectedSourceVersion=src["version"],
                expectedTargetVersion=tgt["version"],
            ),
        )
    ).ok()["customerMerge"]
    assert data["userErrors"] == []
    assert data["customer"] == {"id": target.gid, "version": tgt["version"] + 1}

    after = await view(wgql, target)
    # Addresses: all moved, the target's defaults kept.
    assert len(after["addresses"]) == 3
    own_address = tgt["defaultBillingAddress"]["id"]
    assert after["defaultBillingAddress"]["id"] == own_address
    assert after["defaultShippingAddress"]["id"] == own_address
    assert [a["isDefaultBilling"] for a in after["addresses"]].count(True) == 1
    # Orders and their aggregates, points and credit as ledger entries.
    assert after["orders"]["totalCount"] == after["orderCount"] == 3
    assert after["totalRevenue"]["amount"] == "35.50"
    assert after["pointsBalance"] == 40
    assert after["pointsHistory"]["nodes"][0] == {
        "delta": 30,
        "balanceAfter": 40,
        "source": "MERGE",
    }
    assert after["creditBalance"]["amount"] == "6.00"
    assert after["creditHistory"]["nodes"][0] == {
        "amount": {"amount": "5.00"},
        "balanceAfter": {"amount": "6.00"},
    }
    assert len(after["giftCards"]) == 1 and after["notes"]["totalCount"] == 1
    assert len(after["memberships"]) == 1
    assert after["tags"] == ["newsletter", "B2B", "VIP"]
    # The target's values win; its empty ones are filled.
    assert {f["key"]: f["value"] for f in after["customFields"]} == {
        "employees": "12",
        "vat_number": "FR-TARGET",
    }
    assert (after["lastName"], after["city"], after["company"]) == (
        "Lovelace",
        "Lyon",
        "Engines Ltd",
    )
    assert (after["phone"], after["dateOfBirth"]) == ("+33600000001", "1990-12-10")
    assert after["idDocument"] == {"type": "PASSPORT", "number": "P-778899"}
    assert after["email"] == target.email
    # The log: the source's history moved, and the merge written on both sides.
    assert after["events"]["totalCount"] == tgt["events"]["totalCount"] + 2 + 1
    merged_event = after["events"]["nodes"][0]
    assert merged_event["type"] == "CUSTOMER_MERGED"
    changes = {c["field"]: (c["oldValue"], c["newValue"]) for c in merged_event["changes"]}
    assert changes["phone"] == (None, "+33600000001")
    assert changes["customFields.employees"] == (None, "12")
    assert changes["pointsBalance"] == ("10", "40")
    assert changes["orderCount"] == ("1", "3")
    assert changes["tags"] == ('["newsletter", "B2B"]', '["newsletter", "B2B", "VIP"]')
    assert "lastName" not in changes and "customFields.vat_number" not in changes

    gone = await view(wgql, source)
    assert gone["status"] == "MERGED"
    assert gone["mergedInto"] == {"id": target.gid}
    assert gone["email"] is None
    assert gone["version"] == src["version"] + 1
    assert (gone["pointsBalance"], gone["creditBalance"]["amount"], gone["orderCount"]) == (
        0,
        "0.00",
        0,
    )
    assert gone["addresses"] == [] and gone["giftCards"] == [] and gone["customFields"] == []
    assert gone["events"]["totalCount"] == 1
    source_event = gone["events"]["nodes"][0]
    assert source_event["type"] == "CUSTOMER_MERGED"
    assert {"field": "status", "oldValue": "ACTIVE", "newValue": "MERGED"} in source_event[
        "changes"
    ]
    assert (await wgql.as_(source.token)(WHO)).status == 401
    entries = await fetch(
        writable.app.state.engine,
        select(PointsEntry.delta, PointsEntry.balance_after, PointsEntry.source)
        .where(PointsEntry.customer_id == source.id)
        .order_by(PointsEntry.id),
    )
    assert [tuple(e) for e in entries][-1] == (-30, 0, "MERGE")
    credit = await fetch(
        writable.app.state.engine,
        select(CreditEntry.amount, CreditEntry.balance_after)
        .where(CreditEntry.customer_id == source.id)
        .order_by(CreditEntry.id),
    )
    assert [tuple(e) for e in credit][-1] == (Decimal("-5.00"), Decimal("0.00"))


async def test_merge_preview_shows_exactly_what_the_merge_then_does(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    source, target = await duplicates(writable)
    for overwrite in (False, True):
        if overwrite:
            source, target = await duplicates(writable)
        before = {m.id: await snapshot(writable, m.id) for m in (source, target)}
        tgt = await view(wgql, target)
        variables = merge_input(source, target, overwriteTargetValues=overwrite)

        preview = (await wgql(PREVIEW, variables)).ok()["customerMergePreview"]
        assert preview["userErrors"] == []
        assert {m.id: await snapshot(writable, m.id) for m in (source, target)} == before
        (await wgql(MERGE, variables)).ok()
        after = await view(wgql, target)

        assert preview["addressesMoved"] == len(after["addresses"]) - len(tgt["addresses"]) == 2
        assert preview["ordersMoved"] == after["orderCount"] - tgt["orderCount"] == 2
        assert preview["notesMoved"] == after["notes"]["totalCount"] - tgt["notes"]["totalCount"]
        assert preview["giftCardsMoved"] == len(after["giftCards"]) - len(tgt["giftCards"]) == 1
        assert preview["membershipsMoved"] == len(after["memberships"]) - len(tgt["memberships"])
        # The moved history, plus the merge's own entry.
        assert (
            preview["eventsMoved"] + 1
            == after["events"]["totalCount"] - tgt["events"]["totalCount"]
            == 3
        )
        assert preview["pointsMoved"] == after["pointsBalance"] - tgt["pointsBalance"] == 30
        assert Decimal(preview["creditMoved"]["amount"]) == Decimal(
            after["creditBalance"]["amount"]
        ) - Decimal(tgt["creditBalance"]["amount"])
        assert preview["resultingTags"] == after["tags"]
        changed = {c["field"] for c in preview["fieldChanges"]}
        for field_change in preview["fieldChanges"]:
            assert value_of(tgt, field_change["field"]) == field_change["currentValue"]
            assert value_of(after, field_change["field"]) == field_change["resultingValue"]
        for field in ("salutation", "firstName", "lastName", "phone", "company", "city",
                      "dateOfBirth", "idDocument", "email", "customFields.vat_number",
                      "customFields.employees"):  # fmt: skip
            if field not in changed:
                assert value_of(after, field) == value_of(tgt, field), field
        expected = {"phone", "dateOfBirth", "idDocument", "customFields.employees"}
        if overwrite:
            expected |= {"lastName", "city", "customFields.vat_number"}
        assert changed == expected


async def test_overwriting_takes_the_sources_values_but_never_blanks_the_target(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    source, target = await duplicates(writable)
    (await wgql(MERGE, merge_input(source, target, overwriteTargetValues=True))).ok()
    after = await view(wgql, target)
    assert (after["lastName"], after["city"], after["phone"]) == ("Byron", "Paris", "+33600000001")
    # The source has no company: the target's stays.
    assert after["company"] == "Engines Ltd"
    assert {f["key"]: f["value"] for f in after["customFields"]}["vat_number"] == "FR-SOURCE"
    # The sign-in email of the record that stays is never replaced.
    assert after["email"] == target.email


async def test_a_target_without_email_takes_the_sources_and_it_signs_in(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    source = await make_customer(writable, email_verified=True)
    target = await make_customer(writable, email=None, email_verified=False)
    assert source.email is not None
    preview = (await wgql(PREVIEW, merge_input(source, target))).ok()["customerMergePreview"]
    assert {"field": "email", "currentValue": None, "resultingValue": source.email} in preview[
        "fieldChanges"
    ]
    (await wgql(MERGE, merge_input(source, target))).ok()
    after = await view(wgql, target)
    assert (after["email"], after["emailVerified"]) == (source.email, True)
    assert (await view(wgql, source))["email"] is None
    login = await wgql.as_(None)(CUSTOMER_LOGIN, {"email": source.email, "password": PASSWORD})
    assert login.ok()["customerLogin"]["token"]


async def test_refused_merges_write_nothing_and_the_preview_names_the_same_blocker(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    a = await make_customer(writable, addresses=1, points=5)
    b = await make_customer(writable, addresses=1)
    merged = await make_customer(writable, status="MERGED", email=None)
    erased = await make_customer(writable, status="ERASED", email=None)
    missing = Made(10**9, encode_global_id("Customer", 10**9), "", None, "")
    cases = [
        (merge_input(a, a), ("INVALID", ["targetId"])),
        (merge_input(merged, b), ("NOT_ALLOWED", ["sourceId"])),
        (merge_input(a, erased), ("NOT_ALLOWED", ["targetId"])),
        (merge_input(missing, b), ("NOT_FOUND", ["sourceId"])),
        (merge_input(a, b, expectedSourceVersion=9), ("CONFLICT", ["expectedSourceVersion"])),
        (merge_input(a, b, expectedTargetVersion=9), ("CONFLICT", ["expectedTargetVersion"])),
    ]
    everyone = (a, b, merged, erased)
    before = {m.id: await snapshot(writable, m.id) for m in everyone}
    for variables, refusal in cases:
        data = (await wgql(MERGE, variables)).ok()["customerMerge"]
        assert data["customer"] is None
        assert only_error(data) == refusal, variables
        preview = (await wgql(PREVIEW, variables)).ok()["customerMergePreview"]
        assert only_error(preview) == refusal, variables
        assert preview["addressesMoved"] is None and preview["fieldChanges"] is None
    assert {m.id: await snapshot(writable, m.id) for m in everyone} == before


async def test_merge_and_its_preview_need_customers_merge(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    source, target = await make_customer(writable), await make_customer(writable)
    before = {m.id: await snapshot(writable, m.id) for m in (source, target)}
    for token in (writable.tokens["SUPPORT"], writable.tokens["VIEWER"], source.token):
        for query in (MERGE, PREVIEW):
            response = await wgql.as_(token)(query, merge_input(source, target))
            assert response.codes == ["FORBIDDEN"]
    assert {m.id: await snapshot(writable, m.id) for m in (source, target)} == before
    manager = await wgql.as_(writable.tokens["MANAGER"])(MERGE, merge_input(source, target))
    assert manager.ok()["customerMerge"]["userErrors"] == []


async def test_the_preview_masks_personal_values_without_customers_read_pii(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    source, target = await duplicates(writable)
    created = (
        await wgql("""mutation { apiKeyCreate(input: {name: "dedupe bot",
        scopes: ["customers:merge"]}) { secret userErrors { code } } }""")
    ).ok()
    bot = wgql.as_(created["apiKeyCreate"]["secret"])
    seen = (await bot(PREVIEW, merge_input(source, target))).ok()["customerMergePreview"]
    changes = {c["field"]: c["resultingValue"] for c in seen["fieldChanges"]}
    assert changes["phone"] == changes["dateOfBirth"] == changes["idDocument"] == "•••"
    assert changes["customFields.employees"] == "12"
    owner = (await wgql(PREVIEW, merge_input(source, target))).ok()["customerMergePreview"]
    assert {c["field"]: c["resultingValue"] for c in owner["fieldChanges"]}["phone"] == (
        "+33600000001"
    )


async def test_a_merge_interrupted_by_a_database_failure_writes_nothing(
    wgql: GraphQLClient, writable: SeededWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    source, target = await duplicates(writable)
    before = {m.id: await snapshot(writable, m.id) for m in (source, target)}

    def connection_lost(*_args: Any, **_kwargs: Any) -> None:
        # By now every row has moved and both customers are changed in the transaction.
        raise OperationalError("COMMIT", {}, ConnectionResetError("connection lost"))

    monkeypatch.setattr(merge_domain, "_record_merge_events", connection_lost)
    response = await wgql(MERGE, merge_input(source, target))
    assert response.codes == ["INTERNAL"]
    assert {m.id: await snapshot(writable, m.id) for m in (source, target)} == before

    monkeypatch.undo()
    done = (await wgql(MERGE, merge_input(source, target))).ok()["customerMerge"]
    assert done["userErrors"] == []


async def test_merges_of_one_pair_in_both_directions_at_once_do_one_merge(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    a, b = await make_customer(writable, points=3), await make_customer(writable, points=4)
    results = await asyncio.gather(wgql(MERGE, merge_input(a, b)), wgql(MERGE, merge_input(b, a)))
    payloads = [r.ok()["customerMerge"] for r in results]
    assert sorted(len(p["userErrors"]) for p in payloads) == [0, 1]
    refused = next(p for p in payloads if p["userErrors"])
    assert refused["userErrors"][0]["code"] == "NOT_ALLOWED"
    views = [await view(wgql, m) for m in (a, b)]
    assert sorted(v["status"] for v in views) == ["ACTIVE", "MERGED"]
    survivor = next(v for v in views if v["status"] == "ACTIVE")
    assert survivor["pointsBalance"] == 7


async def test_erasing_a_customer_erases_the_records_merged_into_it(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    first, second = await make_customer(writable), await make_customer(writable)
    target = await make_customer(writable)
    (await wgql(MERGE, merge_input(first, second))).ok()
    (await wgql(MERGE, merge_input(second, target))).ok()
    erased = (await wgql(ERASE, {"id": target.gid})).ok()["customerErase"]
    assert erased["userErrors"] == []
    for made in (first, second, target):
        row = (await snapshot(writable, made.id))["customer"]
        assert row["status"] == "ERASED", made
        assert (row["first_name"], row["last_name"], row["email"]) == ("", "Erased", None)
        assert row["password_hash"] is None
