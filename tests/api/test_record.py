"""Creating and editing customer records and their addresses."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select

from custgraph.db.models import Customer, CustomerEvent, Notification
from tests.api.test_identity import CUSTOMER_LOGIN, VERIFY, _signed_in_customer
from tests.api.test_lifecycle import SET_STATUS
from tests.conftest import SeededWorld
from tests.support.client import GraphQLClient
from tests.support.outbox import latest_link_token
from tests.support.truth import fetch

CREATE = """mutation($input: CustomerCreateInput!) { customerCreate(input: $input) {
  customer { id reference status email firstName version tags }
  userErrors { field code message } } }"""
UPDATE = """mutation($input: CustomerUpdateInput!) { customerUpdate(input: $input) {
  customer { id version firstName lastName phone city creditLimit { amount } externalId }
  userErrors { field code } } }"""
EVENTS = """query($id: ID!) { customer(id: $id) { version events(first: 3) { nodes {
  type actor { kind name } changes { field oldValue newValue } } } } }"""
ADDRESS_CREATE = """mutation($id: ID!, $address: AddressInput!) {
  customerAddressCreate(input: {customerId: $id, address: $address}) {
    address { id isDefaultBilling isDefaultShipping country phone }
    customer { version } userErrors { field code } } }"""
ADDRESSES = """query($id: ID!) { customer(id: $id) { addresses { id isDefaultBilling
  isDefaultShipping } defaultShippingAddress { id } } }"""
HOME = {
    "line1": "1 Main Street",
    "city": "Berlin",
    "country": "de",
    "postalCode": "10115",
    "phone": "+49 30 1234567",
}


def _email() -> str:
    return f"record.{uuid.uuid4().hex[:10]}@shop.example.com"


async def _create(wgql: GraphQLClient, **fields: Any) -> dict[str, Any]:
    data = (
        await wgql(
            CREATE,
            {"input": {"firstName": "Grace", "lastName": "Hopper", "email": _email(), **fields}},
        )
    ).ok()
    payload = data["customerCreate"]
    assert payload["userErrors"] == [], payload
    return payload["customer"]


async def test_create_opens_an_unverified_record_with_a_reference_and_an_event(
    wgql: GraphQLClient,
) -> None:
    customer = await _create(wgql, tags=["VIP", "VIP", " b2b "], phone="+4930 1234567")
    assert customer["status"] == "UNVERIFIED"
    assert customer["reference"] == f"CUST-{int(customer['reference'][5:]):06d}"
    assert customer["tags"] == ["VIP", "b2b"] and customer["version"] == 1
    events = (await wgql(EVENTS, {"id": customer["id"]})).ok()["customer"]["events"]["nodes"]
    assert events[0]["type"] == "CUSTOMER_CREATED"
    assert events[0]["actor"] == {"kind": "STAFF", "name": "Owner Tester"}


async def test_a_created_customer_is_activated_by_the_emailed_verification_link(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    email = _email()
    customer = await _create(wgql, email=email)
    assert customer["status"] == "UNVERIFIED"
    token = await latest_link_token(writable.app.state.engine, email, "confirm your email")
    verified = (await wgql.as_(None)(VERIFY, {"token": token})).ok()["customerVerifyEmail"]
    assert verified["customer"] == {"status": "ACTIVE", "emailVerified": True}


async def test_staff_activate_a_created_customer_explicitly(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    engine = writable.app.state.engine
    # An import: no email goes out, and without an email none could.
    for fields in ({"sendVerificationEmail": False}, {"email": None}):
        customer = await _create(wgql, **fields)
        assert customer["status"] == "UNVERIFIED"
        queued = await fetch(
            engine,
            select(func.count())
            .select_from(Notification)
            .join(Customer, Customer.id == Notification.customer_id)
            .where(Customer.reference == customer["reference"]),
        )
        assert queued[0][0] == 0, fields
        activated = (await wgql(SET_STATUS, {"id": customer["id"], "status": "ACTIVE"})).ok()[
            "customerSetStatus"
        ]
        assert activated["userErrors"] == []
        assert activated["customer"]["status"] == "ACTIVE"


async def test_create_with_invitation_waits_for_the_set_password_link(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    email = _email()
    customer = await _create(wgql, email=email, sendSetPasswordEmail=True)
    assert customer["status"] == "UNVERIFIED"
    token = await latest_link_token(writable.app.state.engine, email, "new customer account")
    done = (
        await wgql.as_(None)(
            """mutation($token: String!) { customerResetPassword(input: {
        token: $token, password: "my first password"}) { customer { status } userErrors { code }
        } }""",
            {"token": token},
        )
    ).ok()
    assert done["customerResetPassword"]["customer"] == {"status": "ACTIVE"}
    login = (
        await wgql.as_(None)(CUSTOMER_LOGIN, {"email": email, "password": "my first password"})
    ).ok()
    assert login["customerLogin"]["token"]


async def test_create_refuses_bad_input_and_writes_nothing(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    engine = writable.app.state.engine
    before = (await fetch(engine, select(func.count()).select_from(Customer)))[0][0]
    taken = await _create(wgql)
    assert taken
    cases = [
        ({"email": taken["email"].upper()}, ["email"], "TAKEN"),
        ({"email": "not-an-email"}, ["email"], "INVALID"),
        ({"phone": "12345"}, ["phone"], "INVALID"),
        ({"firstName": "  "}, ["firstName"], "REQUIRED"),
        ({"dateOfBirth": "2999-01-01"}, ["dateOfBirth"], "INVALID"),
        ({"locale": "german"}, ["locale"], "INVALID"),
        ({"email": None, "sendSetPasswordEmail": True}, ["email"], "REQUIRED"),
    ]
    for fields, field, code in cases:
        data = (
            await wgql(
                CREATE, {"input": {"firstName": "A", "lastName": "B", "email": _email(), **fields}}
            )
        ).ok()
        assert data["customerCreate"]["customer"] is None, fields
        assert data["customerCreate"]["userErrors"][0]["field"] == field, fields
        assert data["customerCreate"]["userErrors"][0]["code"] == code, fields
    after = (await fetch(engine, select(func.count()).select_from(Customer)))[0][0]
    assert after == before + 1


async def test_create_needs_customers_write(wgql: GraphQLClient, writable: SeededWorld) -> None:
    email = _email()
    response = await wgql.as_(writable.tokens["VIEWER"])(
        CREATE, {"input": {"firstName": "A", "lastName": "B", "email": email}}
    )
    assert response.codes == ["FORBIDDEN"]
    rows = await fetch(
        writable.app.state.engine, select(Customer.id).where(Customer.email == email)
    )
    assert rows == []


async def test_update_changes_given_fields_bumps_version_and_logs_old_and_new(
    wgql: GraphQLClient,
) -> None:
    customer = await _create(wgql, city="Paris")
    data = (
        await wgql(
            UPDATE,
            {
                "input": {
                    "customerId": customer["id"],
                    "expectedVersion": 1,
                    "city": "Lyon",
                    "phone": "+33 1 23 45 67 89",
                }
            },
        )
    ).ok()
    updated = data["customerUpdate"]["customer"]
    assert updated["city"] == "Lyon" and updated["phone"] == "+33123456789"
    assert updated["version"] == 2 and updated["firstName"] == "Grace"
    events = (await wgql(EVENTS, {"id": customer["id"]})).ok()["customer"]["events"]["nodes"]
    assert events[0]["type"] == "CUSTOMER_UPDATED"
    assert {c["field"]: (c["oldValue"], c["newValue"]) for c in events[0]["changes"]} == {
        "city": ("Paris", "Lyon"),
        "phone": (None, "+33123456789"),
    }
    same = (await wgql(UPDATE, {"input": {"customerId": customer["id"], "city": "Lyon"}})).ok()
    assert same["customerUpdate"]["customer"]["version"] == 2


async def test_stale_expected_version_is_a_conflict_and_writes_nothing(
    wgql: GraphQLClient,
) -> None:
    customer = await _create(wgql, city="Rome")
    (await wgql(UPDATE, {"input": {"customerId": customer["id"], "city": "Milan"}})).ok()
    stale = (
        await wgql(
            UPDATE, {"input": {"customerId": customer["id"], "expectedVersion": 1, "city": "Turin"}}
        )
    ).ok()
    assert stale["customerUpdate"]["userErrors"] == [
        {"field": ["expectedVersion"], "code": "CONFLICT"}
    ]
    now = (await wgql(EVENTS, {"id": customer["id"]})).ok()["customer"]
    assert now["version"] == 2
    assert len(now["events"]["nodes"]) == 2


async def test_pii_values_in_the_log_are_masked_without_read_pii(
    wgql: GraphQLClient,
) -> None:
    customer = await _create(wgql)
    (
        await wgql(
            UPDATE,
            {"input": {"customerId": customer["id"], "phone": "+4930 7654321", "city": "Bonn"}},
        )
    ).ok()
    key = (
        await wgql(
            'mutation { apiKeyCreate(input: {name: "auditor", scopes: '
            '["customers:read", "audit:read"]}) { secret } }'
        )
    ).ok()
    auditor = wgql.as_(key["apiKeyCreate"]["secret"])
    changes = (await auditor(EVENTS, {"id": customer["id"]})).ok()["customer"]["events"]
    shown = {c["field"]: c["newValue"] for c in changes["nodes"][0]["changes"]}
    assert shown == {"phone": "•••", "city": "Bonn"}


async def test_admin_fields_need_customers_admin(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    customer = await _create(wgql)
    support = wgql.as_(writable.tokens["SUPPORT"])
    refused = await support(
        UPDATE, {"input": {"customerId": customer["id"], "creditLimit": "5000.00"}}
    )
    assert refused.codes == ["FORBIDDEN"]
    allowed = (
        await wgql(UPDATE, {"input": {"customerId": customer["id"], "creditLimit": "5000.00"}})
    ).ok()
    assert allowed["customerUpdate"]["customer"]["creditLimit"] == {"amount": "5000.00"}
    bad = (
        await wgql(UPDATE, {"input": {"customerId": customer["id"], "creditLimit": "12.345"}})
    ).ok()
    assert bad["customerUpdate"]["userErrors"] == [{"field": ["creditLimit"], "code": "INVALID"}]


async def test_external_ids_are_unique(wgql: GraphQLClient) -> None:
    first = await _create(wgql, externalId=f"ERP-{uuid.uuid4().hex[:8]}")
    second = await _create(wgql)
    data = (
        await wgql(
            UPDATE, {"input": {"customerId": second["id"], "externalId": f"ERP-{first['id']}"}}
        )
    ).ok()
    assert data["customerUpdate"]["userErrors"] == []
    clash = (
        await wgql(
            UPDATE, {"input": {"customerId": first["id"], "externalId": f"ERP-{first['id']}"}}
        )
    ).ok()
    assert clash["customerUpdate"]["userErrors"] == [{"field": ["externalId"], "code": "TAKEN"}]


async def test_a_customer_edits_their_own_person_fields_only(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    _, own_id, token = await _signed_in_customer(wgql, writable)
    me = wgql.as_(token)
    data = (await me(UPDATE, {"input": {"customerId": own_id, "firstName": "Augusta"}})).ok()
    assert data["customerUpdate"]["customer"]["firstName"] == "Augusta"
    refused = (await me(UPDATE, {"input": {"customerId": own_id, "externalId": "X-1"}})).ok()
    assert refused["customerUpdate"]["userErrors"] == [
        {"field": ["externalId"], "code": "NOT_ALLOWED"}
    ]
    other = await _create(wgql)
    response = await me(UPDATE, {"input": {"customerId": other["id"], "firstName": "Eve"}})
    assert response.codes == ["NOT_FOUND"]
    admin = await me(UPDATE, {"input": {"customerId": own_id, "creditLimit": "1.00"}})
    assert admin.codes == ["FORBIDDEN"]


async def test_first_address_becomes_both_defaults_and_defaults_move_on_delete(
    wgql: GraphQLClient,
) -> None:
    customer = await _create(wgql)
    first = (await wgql(ADDRESS_CREATE, {"id": customer["id"], "address": HOME})).ok()
    address = first["customerAddressCreate"]["address"]
    assert address["isDefaultBilling"] and address["isDefaultShipping"]
    assert address["country"] == "DE" and address["phone"] == "+49301234567"
    assert first["customerAddressCreate"]["customer"]["version"] == 2
    second = (
        await wgql(
            ADDRESS_CREATE, {"id": customer["id"], "address": {**HOME, "line1": "2 Side Street"}}
        )
    ).ok()["customerAddressCreate"]["address"]
    assert not second["isDefaultBilling"] and not second["isDefaultShipping"]
    (
        await wgql(
            """mutation($id: ID!) { customerAddressSetDefault(input: {addressId: $id,
        kind: SHIPPING}) { userErrors { code } } }""",
            {"id": second["id"]},
        )
    ).ok()
    listed = (await wgql(ADDRESSES, {"id": customer["id"]})).ok()["customer"]
    assert listed["defaultShippingAddress"]["id"] == second["id"]
    deleted = (
        await wgql(
            """mutation($id: ID!) { customerAddressDelete(input: {addressId: $id})
        { deletedAddressId userErrors { code } } }""",
            {"id": address["id"]},
        )
    ).ok()
    assert deleted["customerAddressDelete"]["deletedAddressId"] == address["id"]
    remaining = (await wgql(ADDRESSES, {"id": customer["id"]})).ok()["customer"]["addresses"]
    assert remaining == [{"id": second["id"], "isDefaultBilling": True, "isDefaultShipping": True}]


async def test_address_input_is_validated_with_field_paths(wgql: GraphQLClient) -> None:
    customer = await _create(wgql)
    for change, field, code in [
        ({"country": "XX"}, ["address", "country"], "INVALID"),
        ({"country": "Germany"}, ["address", "country"], "INVALID"),
        ({"line1": " "}, ["address", "line1"], "REQUIRED"),
        ({"phone": "030 123"}, ["address", "phone"], "INVALID"),
    ]:
        data = (
            await wgql(ADDRESS_CREATE, {"id": customer["id"], "address": {**HOME, **change}})
        ).ok()
        assert data["customerAddressCreate"]["userErrors"] == [{"field": field, "code": code}]
    assert (await wgql(ADDRESSES, {"id": customer["id"]})).ok()["customer"]["addresses"] == []


async def test_contract_discount_groups_forbid_address_changes(wgql: GraphQLClient) -> None:
    customer = await _create(wgql)
    (
        await wgql(UPDATE, {"input": {"customerId": customer["id"], "discountGroup": "CONTRACT"}})
    ).ok()
    data = (await wgql(ADDRESS_CREATE, {"id": customer["id"], "address": HOME})).ok()
    assert data["customerAddressCreate"]["userErrors"][0]["code"] == "NOT_ALLOWED"


async def test_a_customer_manages_their_own_addresses_and_no_one_elses(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    _, own_id, token = await _signed_in_customer(wgql, writable)
    me = wgql.as_(token)
    mine = (await me(ADDRESS_CREATE, {"id": own_id, "address": HOME})).ok()
    assert mine["customerAddressCreate"]["address"]["phone"] == "+49301234567"
    other = await _create(wgql)
    theirs = (await wgql(ADDRESS_CREATE, {"id": other["id"], "address": HOME})).ok()
    address_id = theirs["customerAddressCreate"]["address"]["id"]
    assert (await me(ADDRESS_CREATE, {"id": other["id"], "address": HOME})).codes == ["NOT_FOUND"]
    update = await me(
        """mutation($id: ID!, $address: AddressInput!) { customerAddressUpdate(
        input: {addressId: $id, address: $address}) { userErrors { code field } } }""",
        {"id": address_id, "address": {**HOME, "city": "Hamburg"}},
    )
    assert update.ok()["customerAddressUpdate"]["userErrors"] == [
        {"code": "NOT_FOUND", "field": ["addressId"]}
    ]
    other_id = int(other["reference"].removeprefix("CUST-"))
    rows = await fetch(
        writable.app.state.engine,
        select(CustomerEvent.type).where(CustomerEvent.customer_id == other_id),
    )
    assert [r.type for r in rows].count("ADDRESS_UPDATED") == 0
