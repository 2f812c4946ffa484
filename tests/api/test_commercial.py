"""Commercial data over HTTP: sales rep, price list, tags, custom fields and their definitions."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from custgraph.db.models import Customer
from custgraph.domain.references import assign_reference, placeholder_reference
from custgraph.global_id import decode_global_id, encode_global_id
from tests.conftest import SeededWorld
from tests.support.client import GraphQLClient

SALES_REP = """mutation($input: CustomerAssignSalesRepInput!) { customerAssignSalesRep(
  input: $input) { customer { id version salesRep { id } } userErrors { field code message } } }"""
PRICE_LIST = """mutation($input: CustomerAssignPriceListInput!) { customerAssignPriceList(
  input: $input) { customer { id version priceList } userErrors { field code message } } }"""
TAGS_ADD = """mutation($input: CustomerTagsAddInput!) { customerTagsAdd(input: $input) {
  customer { id version tags } userErrors { field code message } } }"""
TAGS_REMOVE = """mutation($input: CustomerTagsRemoveInput!) { customerTagsRemove(input: $input) {
  customer { id version tags } userErrors { field code message } } }"""
SET_FIELDS = """mutation($input: CustomerSetCustomFieldsInput!) { customerSetCustomFields(
  input: $input) { customer { id version customFields { key type value } }
  userErrors { field code message } } }"""
DEFINE = """mutation($input: CustomFieldDefineInput!) { customFieldDefine(input: $input) {
  customFieldDefinition { key label type description createdAt }
  userErrors { field code message } } }"""
DEFINITIONS = "{ customFieldDefinitions { key label type description } }"
STATE = """query($id: ID!) { customer(id: $id) {
  version tags priceList salesRep { id }
  customFields { key type value textValue integerValue decimalValue dateValue booleanValue }
  events(first: 5) { nodes { type message actor { kind name }
                             changes { field oldValue newValue } } } } }"""
UNKNOWN_CUSTOMER = encode_global_id("Customer", 2_000_000_000)


# --- helpers, also used by the notes and account access tests -------------------------


async def new_customer(
    writable: SeededWorld,
    *,
    email: bool = True,
    phone: str | None = None,
    verified: bool = False,
    status: str = "ACTIVE",
    tags: tuple[str, ...] = (),
) -> str:
    """A fresh customer of this test's own (a factory: the record area is not ours)."""
    async with writable.app.state.session_factory.begin() as session:
        customer = Customer(
            reference=placeholder_reference(),
            first_name="Cora",
            last_name="Commerce",
            email=f"cora.{uuid.uuid4().hex[:12]}@shop.example.com" if email else None,
            email_verified=verified,
            phone=phone,
            status=status,
            tags=list(tags),
        )
        session.add(customer)
        await assign_reference(session, customer)
    return encode_global_id("Customer", customer.id)


async def state_of(gql: GraphQLClient, customer_id: str, query: str = STATE) -> dict[str, Any]:
    """The customer as the API reads it now (as OWNER unless told otherwise)."""
    customer: dict[str, Any] = (await gql(query, {"id": customer_id})).ok()["customer"]
    return customer


def newest_event(state: dict[str, Any]) -> dict[str, Any]:
    event: dict[str, Any] = state["events"]["nodes"][0]
    return event


async def run(gql: GraphQLClient, mutation: str, **input: Any) -> dict[str, Any]:
    """The payload of a one-field mutation that must not fail at the top level."""
    data = (await gql(mutation, {"input": input})).ok()
    payload: dict[str, Any] = next(iter(data.values()))
    return payload


def errors_of(payload: dict[str, Any]) -> list[tuple[list[str] | None, str]]:
    return [(e["field"], e["code"]) for e in payload["userErrors"]]


async def _staff_user(wgql: GraphQLClient, *, active: bool = True) -> str:
    """A new staff user's global id (deactivated when asked)."""
    created = (
        await wgql(
            """mutation($email: String!) { staffUserCreate(input: {email: $email,
            role: "SUPPORT", firstName: "Sam", lastName: "Seller"}) {
            staffUser { id } userErrors { code } } }""",
            {"email": f"rep.{uuid.uuid4().hex[:10]}@staff.example.com"},
        )
    ).ok()
    staff_id: str = created["staffUserCreate"]["staffUser"]["id"]
    if not active:
        (
            await wgql(
                """mutation($id: ID!) { staffUserUpdate(input: {staffUserId: $id,
                isActive: false}) { userErrors { code } } }""",
                {"id": staff_id},
            )
        ).ok()
    return staff_id


def _db_id(global_id: str) -> str:
    return str(decode_global_id(global_id)[1])


# --- sales rep ----------------------------------------------------------------------


async def test_assigning_a_sales_rep_bumps_the_version_and_logs_old_and_new_rep(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    customer_id = await new_customer(writable)
    rep = await _staff_user(wgql)
    payload = await run(wgql, SALES_REP, customerId=customer_id, salesRepId=rep, expectedVersion=1)
    assert payload["userErrors"] == []
    assert payload["customer"] == {"id": customer_id, "version": 2, "salesRep": {"id": rep}}
    event = newest_event(await state_of(wgql, customer_id))
    assert event["type"] == "SALES_REP_ASSIGNED"
    assert event["message"] == "Sales rep Sam Seller assigned"
    assert event["actor"] == {"kind": "STAFF", "name": "Owner Tester"}
    assert event["changes"] == [{"field": "salesRep", "oldValue": None, "newValue": _db_id(rep)}]

    unassigned = await run(wgql, SALES_REP, customerId=customer_id, salesRepId=None)
    assert unassigned["customer"]["salesRep"] is None
    assert unassigned["customer"]["version"] == 3
    event = newest_event(await state_of(wgql, customer_id))
    assert event["changes"] == [{"field": "salesRep", "oldValue": _db_id(rep), "newValue": None}]


async def test_assigning_the_same_sales_rep_again_changes_nothing(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    customer_id = await new_customer(writable)
    rep = await _staff_user(wgql)
    await run(wgql, SALES_REP, customerId=customer_id, salesRepId=rep)
    before = await state_of(wgql, customer_id)
    again = await run(wgql, SALES_REP, customerId=customer_id, salesRepId=rep)
    assert again["userErrors"] == []
    assert await state_of(wgql, customer_id) == before


async def test_sales_rep_must_be_an_existing_active_staff_user(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    customer_id = await new_customer(writable)
    before = await state_of(wgql, customer_id)
    missing = await run(
        wgql,
        SALES_REP,
        customerId=customer_id,
        salesRepId=encode_global_id("StaffUser", 2_000_000_000),
    )
    assert errors_of(missing) == [(["salesRepId"], "NOT_FOUND")]
    assert missing["customer"] is None
    inactive = await run(
        wgql, SALES_REP, customerId=customer_id, salesRepId=await _staff_user(wgql, active=False)
    )
    assert errors_of(inactive) == [(["salesRepId"], "INVALID")]
    assert await state_of(wgql, customer_id) == before


async def test_sales_rep_needs_customers_admin_and_a_current_version(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    customer_id = await new_customer(writable)
    rep = await _staff_user(wgql)
    before = await state_of(wgql, customer_id)
    manager = await wgql.as_(writable.tokens["MANAGER"])(
        SALES_REP, {"input": {"customerId": customer_id, "salesRepId": rep}}
    )
    assert manager.codes == ["FORBIDDEN"]
    stale = await run(wgql, SALES_REP, customerId=customer_id, salesRepId=rep, expectedVersion=0)
    assert errors_of(stale) == [(["expectedVersion"], "CONFLICT")]
    unknown = await run(wgql, SALES_REP, customerId=UNKNOWN_CUSTOMER, salesRepId=rep)
    assert errors_of(unknown) == [(["customerId"], "NOT_FOUND")]
    assert await state_of(wgql, customer_id) == before


# --- price list ---------------------------------------------------------------------


async def test_price_list_is_assigned_trimmed_and_cleared_with_null(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    customer_id = await new_customer(writable)
    payload = await run(wgql, PRICE_LIST, customerId=customer_id, priceList="  B2B-EU  ")
    assert payload["userErrors"] == []
    assert payload["customer"]["priceList"] == "B2B-EU"
    assert payload["customer"]["version"] == 2
    event = newest_event(await state_of(wgql, customer_id))
    assert event["type"] == "PRICE_LIST_ASSIGNED"
    assert event["changes"] == [{"field": "priceList", "oldValue": None, "newValue": "B2B-EU"}]
    cleared = await run(wgql, PRICE_LIST, customerId=customer_id, priceList=None)
    assert cleared["customer"]["priceList"] is None
    assert cleared["customer"]["version"] == 3
    event = newest_event(await state_of(wgql, customer_id))
    assert event["changes"] == [{"field": "priceList", "oldValue": "B2B-EU", "newValue": None}]


async def test_blank_or_overlong_price_lists_are_refused_and_write_nothing(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    customer_id = await new_customer(writable)
    before = await state_of(wgql, customer_id)
    blank = await run(wgql, PRICE_LIST, customerId=customer_id, priceList="   ")
    assert errors_of(blank) == [(["priceList"], "INVALID")]
    long = await run(wgql, PRICE_LIST, customerId=customer_id, priceList="x" * 65)
    assert errors_of(long) == [(["priceList"], "TOO_LONG")]
    stale = await run(wgql, PRICE_LIST, customerId=customer_id, priceList="A", expectedVersion=7)
    assert errors_of(stale) == [(["expectedVersion"], "CONFLICT")]
    manager = await wgql.as_(writable.tokens["MANAGER"])(
        PRICE_LIST, {"input": {"customerId": customer_id, "priceList": "A"}}
    )
    assert manager.codes == ["FORBIDDEN"]
    assert await state_of(wgql, customer_id) == before


# --- tags ---------------------------------------------------------------------------


async def test_tags_are_trimmed_and_deduplicated_ignoring_case_keeping_the_first_spelling(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    customer_id = await new_customer(writable, tags=("VIP",))
    support = wgql.as_(writable.tokens["SUPPORT"])
    payload = await run(
        support,
        TAGS_ADD,
        customerId=customer_id,
        tags=[" vip ", "Wholesale", "wholesale", "a, b"],
        expectedVersion=1,
    )
    assert payload["userErrors"] == []
    assert payload["customer"]["tags"] == ["VIP", "Wholesale", "a, b"]
    assert payload["customer"]["version"] == 2
    event = newest_event(await state_of(wgql, customer_id))
    assert event["type"] == "TAGS_ADDED"
    assert event["message"] == "Tags added: Wholesale, a, b"
    assert event["changes"] == [
        {
            "field": "tags",
            "oldValue": json.dumps(["VIP"]),
            "newValue": json.dumps(["VIP", "Wholesale", "a, b"]),
        }
    ]


async def test_adding_tags_the_customer_has_changes_nothing(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    customer_id = await new_customer(writable, tags=("VIP", "B2B"))
    before = await state_of(wgql, customer_id)
    payload = await run(wgql, TAGS_ADD, customerId=customer_id, tags=["vip", "b2b "])
    assert payload["userErrors"] == []
    assert payload["customer"]["tags"] == ["VIP", "B2B"]
    assert await state_of(wgql, customer_id) == before


async def test_removing_tags_ignores_case_and_tags_the_customer_lacks(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    customer_id = await new_customer(writable, tags=("VIP", "B2B", "newsletter"))
    payload = await run(wgql, TAGS_REMOVE, customerId=customer_id, tags=["vip", "press"])
    assert payload["userErrors"] == []
    assert payload["customer"]["tags"] == ["B2B", "newsletter"]
    assert payload["customer"]["version"] == 2
    state = await state_of(wgql, customer_id)
    event = newest_event(state)
    assert event["type"] == "TAGS_REMOVED"
    assert event["changes"] == [
        {
            "field": "tags",
            "oldValue": json.dumps(["VIP", "B2B", "newsletter"]),
            "newValue": json.dumps(["B2B", "newsletter"]),
        }
    ]
    nothing = await run(wgql, TAGS_REMOVE, customerId=customer_id, tags=["press"])
    assert nothing["userErrors"] == []
    assert await state_of(wgql, customer_id) == state


async def test_bad_tags_and_more_than_fifty_are_refused_and_write_nothing(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    customer_id = await new_customer(writable, tags=tuple(f"t{i}" for i in range(48)))
    before = await state_of(wgql, customer_id)
    blank = await run(wgql, TAGS_ADD, customerId=customer_id, tags=["ok", "  "])
    assert errors_of(blank) == [(["tags", "1"], "INVALID")]
    long = await run(wgql, TAGS_REMOVE, customerId=customer_id, tags=["x" * 41])
    assert errors_of(long) == [(["tags", "0"], "TOO_LONG")]
    too_many = await run(wgql, TAGS_ADD, customerId=customer_id, tags=["a", "b", "c"])
    assert errors_of(too_many) == [(["tags"], "INVALID")]
    stale = await run(wgql, TAGS_ADD, customerId=customer_id, tags=["a"], expectedVersion=2)
    assert errors_of(stale) == [(["expectedVersion"], "CONFLICT")]
    viewer = await wgql.as_(writable.tokens["VIEWER"])(
        TAGS_ADD, {"input": {"customerId": customer_id, "tags": ["a"]}}
    )
    assert viewer.codes == ["FORBIDDEN"]
    assert await state_of(wgql, customer_id) == before
    fiftieth = await run(wgql, TAGS_ADD, customerId=customer_id, tags=["a", "A", "b"])
    assert len(fiftieth["customer"]["tags"]) == 50


# --- custom fields ------------------------------------------------------------------


def _key(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


async def _define(wgql: GraphQLClient, type_: str, key: str | None = None) -> str:
    key = key or _key(type_.lower())
    payload = await run(wgql, DEFINE, key=key, label=f"{type_.title()} field", type=type_)
    assert payload["userErrors"] == [], payload
    return key


async def test_defining_a_custom_field_lists_it_for_readers(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    key = _key("vat")
    payload = await run(
        wgql, DEFINE, key=key, label=" VAT number ", type="TEXT", description="For invoices"
    )
    assert payload["userErrors"] == []
    definition = payload["customFieldDefinition"]
    assert definition["createdAt"]
    del definition["createdAt"]
    assert definition == {
        "key": key,
        "label": "VAT number",
        "type": "TEXT",
        "description": "For invoices",
    }
    viewer = wgql.as_(writable.tokens["VIEWER"])
    listed = (await viewer(DEFINITIONS)).ok()["customFieldDefinitions"]
    assert definition in listed
    assert [d["key"] for d in listed] == sorted(d["key"] for d in listed)


async def test_a_defined_key_is_taken_whatever_the_type_and_bad_keys_are_invalid(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    key = await _define(wgql, "INTEGER")
    again = await run(wgql, DEFINE, key=key, label="Other", type="TEXT")
    assert errors_of(again) == [(["key"], "TAKEN")]
    assert again["customFieldDefinition"] is None
    for bad in ["Vat", "1st", "with-dash", "a" * 65, ""]:
        refused = await run(wgql, DEFINE, key=bad, label="x", type="TEXT")
        assert errors_of(refused) == [(["key"], "INVALID")], bad
    blank_label = await run(wgql, DEFINE, key=_key("l"), label=" ", type="TEXT")
    assert errors_of(blank_label) == [(["label"], "REQUIRED")]
    definitions = (await wgql(DEFINITIONS)).ok()["customFieldDefinitions"]
    assert [d["type"] for d in definitions if d["key"] == key] == ["INTEGER"]
    assert not any(d["label"] in ("Other", "x") for d in definitions)


async def test_defining_custom_fields_needs_customers_admin(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    key = _key("manager")
    manager = await wgql.as_(writable.tokens["MANAGER"])(
        DEFINE, {"input": {"key": key, "label": "x", "type": "TEXT"}}
    )
    assert manager.codes == ["FORBIDDEN"]
    listed = (await wgql(DEFINITIONS)).ok()["customFieldDefinitions"]
    assert key not in [d["key"] for d in listed]
    anonymous = await wgql.as_(None)(DEFINITIONS)
    assert anonymous.codes == ["UNAUTHENTICATED"]


async def test_custom_field_values_are_stored_in_canonical_form_and_logged(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    keys = {t: await _define(wgql, t) for t in ["TEXT", "INTEGER", "DECIMAL", "DATE", "BOOLEAN"]}
    customer_id = await new_customer(writable)
    support = wgql.as_(writable.tokens["SUPPORT"])
    payload = await run(
        support,
        SET_FIELDS,
        customerId=customer_id,
        expectedVersion=1,
        values=[
            {"key": keys["TEXT"], "value": " DE123456789 "},
            {"key": keys["INTEGER"], "value": "+042"},
            {"key": keys["DECIMAL"], "value": "1250.5"},
            {"key": keys["DATE"], "value": "2024-03-01"},
            {"key": keys["BOOLEAN"], "value": "TRUE"},
        ],
    )
    assert payload["userErrors"] == []
    assert payload["customer"]["version"] == 2
    state = await state_of(wgql, customer_id)
    by_key = {f["key"]: f for f in state["customFields"]}
    assert by_key[keys["TEXT"]]["textValue"] == " DE123456789 "
    assert by_key[keys["INTEGER"]]["value"] == "42"
    assert by_key[keys["INTEGER"]]["integerValue"] == 42
    assert by_key[keys["DECIMAL"]]["value"] == "1250.50"
    assert by_key[keys["DECIMAL"]]["decimalValue"] == "1250.50"
    assert by_key[keys["DATE"]]["dateValue"] == "2024-03-01"
    assert by_key[keys["BOOLEAN"]]["value"] == "true"
    assert by_key[keys["BOOLEAN"]]["booleanValue"] is True
    event = newest_event(state)
    assert event["type"] == "CUSTOM_FIELDS_SET"
    assert {
        "field": f"customFields.{keys['DECIMAL']}",
        "oldValue": None,
        "newValue": "1250.50",
    } in (event["changes"])
    assert len(event["changes"]) == 5


async def test_null_removes_a_value_and_unchanged_values_write_nothing(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    key = await _define(wgql, "DECIMAL")
    other = await _define(wgql, "TEXT")
    customer_id = await new_customer(writable)
    await run(wgql, SET_FIELDS, customerId=customer_id, values=[{"key": key, "value": "10"}])
    before = await state_of(wgql, customer_id)
    same = await run(
        wgql,
        SET_FIELDS,
        customerId=customer_id,
        values=[{"key": key, "value": "10.00"}, {"key": other, "value": None}],
    )
    assert same["userErrors"] == []
    assert await state_of(wgql, customer_id) == before
    removed = await run(wgql, SET_FIELDS, customerId=customer_id, values=[{"key": key}])
    assert removed["customer"]["customFields"] == []
    assert removed["customer"]["version"] == before["version"] + 1
    event = newest_event(await state_of(wgql, customer_id))
    assert event["changes"] == [
        {"field": f"customFields.{key}", "oldValue": "10.00", "newValue": None}
    ]


@pytest.mark.parametrize(
    ("type_", "value", "code"),
    [
        ("INTEGER", "1.5", "INVALID"),
        ("INTEGER", "2147483648", "INVALID"),
        ("INTEGER", "twelve", "INVALID"),
        ("DECIMAL", "1.005", "INVALID"),
        ("DECIMAL", "1e3", "INVALID"),
        ("DECIMAL", "NaN", "INVALID"),
        ("DATE", "2024-02-30", "INVALID"),
        ("DATE", "01.03.2024", "INVALID"),
        ("BOOLEAN", "yes", "INVALID"),
        ("TEXT", "  ", "INVALID"),
        ("TEXT", "x" * 1001, "TOO_LONG"),
    ],
)
async def test_values_their_type_refuses_are_invalid_and_nothing_is_written(
    wgql: GraphQLClient, writable: SeededWorld, type_: str, value: str, code: str
) -> None:
    good = await _define(wgql, "TEXT")
    key = await _define(wgql, type_)
    customer_id = await new_customer(writable)
    before = await state_of(wgql, customer_id)
    payload = await run(
        wgql,
        SET_FIELDS,
        customerId=customer_id,
        values=[{"key": good, "value": "fine"}, {"key": key, "value": value}],
    )
    assert errors_of(payload) == [(["values", "1", "value"], code)]
    assert payload["customer"] is None
    assert await state_of(wgql, customer_id) == before


async def test_unknown_or_repeated_keys_conflicts_and_viewers_are_refused(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    key = await _define(wgql, "BOOLEAN")
    customer_id = await new_customer(writable)
    before = await state_of(wgql, customer_id)
    unknown = await run(
        wgql,
        SET_FIELDS,
        customerId=customer_id,
        values=[{"key": key, "value": "true"}, {"key": _key("nope"), "value": "x"}],
    )
    assert errors_of(unknown) == [(["values", "1", "key"], "NOT_FOUND")]
    twice = await run(
        wgql,
        SET_FIELDS,
        customerId=customer_id,
        values=[{"key": key, "value": "true"}, {"key": key, "value": "false"}],
    )
    assert errors_of(twice) == [(["values", "1", "key"], "INVALID")]
    stale = await run(
        wgql,
        SET_FIELDS,
        customerId=customer_id,
        expectedVersion=5,
        values=[{"key": key, "value": "true"}],
    )
    assert errors_of(stale) == [(["expectedVersion"], "CONFLICT")]
    viewer = await wgql.as_(writable.tokens["VIEWER"])(
        SET_FIELDS, {"input": {"customerId": customer_id, "values": [{"key": key}]}}
    )
    assert viewer.codes == ["FORBIDDEN"]
    assert await state_of(wgql, customer_id) == before
