"""A customer's lifecycle over HTTP: status changes, sign-in email change, delete, erase.

The factory and snapshot helpers here are shared with test_merge.py.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from custgraph.auth.passwords import hash_password
from custgraph.auth.tokens import issue_token
from custgraph.db.models import (
    ActionToken,
    Address,
    CreditEntry,
    Customer,
    CustomerEvent,
    CustomFieldDefinition,
    CustomFieldValue,
    GiftCard,
    Membership,
    Note,
    Notification,
    Order,
    OutboxMessage,
    PointsEntry,
)
from custgraph.domain.action_tokens import RESET_PASSWORD, issue_action_token
from custgraph.domain.outbox import enqueue_message
from custgraph.domain.references import assign_reference, placeholder_reference
from custgraph.global_id import encode_global_id
from tests.conftest import TEST_SECRET, SeededWorld
from tests.support.client import GraphQLClient
from tests.support.outbox import latest_link_token
from tests.support.smtp import active_inbox
from tests.support.truth import fetch

PASSWORD = "a long customer password"
STATUSES = ("UNVERIFIED", "ACTIVE", "BLOCKED", "INACTIVE", "DISABLED", "MERGED", "ERASED")
# The contract's transitions, written out independently of the domain's table.
ALLOWED = {
    ("ACTIVE", "BLOCKED"),
    ("BLOCKED", "ACTIVE"),
    ("ACTIVE", "INACTIVE"),
    ("INACTIVE", "ACTIVE"),
    ("BLOCKED", "INACTIVE"),
    ("UNVERIFIED", "ACTIVE"),
    ("UNVERIFIED", "BLOCKED"),
    ("ACTIVE", "DISABLED"),
    ("BLOCKED", "DISABLED"),
    ("INACTIVE", "DISABLED"),
    ("UNVERIFIED", "DISABLED"),
}
AUTO = "auto"

# ---------------------------------------------------------------------------------------
# Factory: customers with a known history, built through the models and domain helpers.


@dataclass
class Made:
    id: int
    gid: str
    reference: str
    email: str | None
    token: str  # a customer session (works while the customer is ACTIVE)


def unique_email(prefix: str = "lc") -> str:
    return f"{prefix}.{uuid.uuid4().hex[:10]}@lifecycle.example.com"


async def make_customer(
    world: SeededWorld,
    *,
    status: str = "ACTIVE",
    email: str | None = AUTO,
    email_verified: bool = True,
    first_name: str = "Ada",
    last_name: str | None = None,
    addresses: int = 0,
    orders: tuple[Decimal, ...] = (),
    points: int = 0,
    credit: Decimal = Decimal(0),
    gift_cards: tuple[tuple[Decimal, bool], ...] = (),  # (balance, is_active)
    notes: int = 0,
    memberships: int = 0,
    tags: tuple[str, ...] = (),
    custom_fields: dict[str, str] | None = None,
    events: int = 0,
    messages: int = 0,
    reset_link: bool = False,
    **person: Any,
) -> Made:
    """A customer with the given history; aggregates agree with their ledgers."""
    address = unique_email() if email == AUTO else email
    now = datetime.now(UTC)
    async with world.app.state.session_factory.begin() as session:
        customer = Customer(
            reference=placeholder_reference(),
            email=address,
            email_verified=email_verified,
            first_name=first_name,
            last_name=last_name or f"Test{uuid.uuid4().hex[:6]}",
            status=status,
            password_hash=await hash_password(PASSWORD),
            tags=list(tags),
            points_balance=points,
            credit_balance=credit,
            order_count=len(orders),
            total_revenue=sum(orders, Decimal(0)),
            **person,
        )
        session.add(customer)
        await assign_reference(session, customer)
        for n in range(addresses):
            session.add(
                Address(
                    customer_id=customer.id,
                    first_name=first_name,
                    line1=f"{n + 1} Lifecycle Street",
                    city="Lyon",
                    country="FR",
                    phone="+33612345678",
                    is_default_billing=n == 0,
                    is_default_shipping=n == 0,
                )
            )
        for total in orders:
            session.add(
                Order(
                    customer_id=customer.id,
                    reference=f"T-{uuid.uuid4().hex[:12]}",
                    state="PAID",
                    placed_at=now,
                    grand_total=total,
                    currency="EUR",
                    item_count=1,
                )
            )
        if points:
            session.add(
                PointsEntry(customer_id=customer.id, delta=points, balance_after=points, reason="t")
            )
        if credit:
            session.add(
                CreditEntry(
                    customer_id=customer.id,
                    amount=credit,
                    balance_after=credit,
                    currency="EUR",
                    reason="t",
                )
            )
        for balance, active in gift_cards:
            session.add(
                GiftCard(
                    customer_id=customer.id,
                    code=uuid.uuid4().hex[:16].upper(),
                    initial_balance=max(balance, Decimal(10)),
                    balance=balance,
                    currency="EUR",
                    is_active=active,
                    message=f"Happy birthday {first_name}",
                )
            )
        for n in range(notes):
            session.add(Note(customer_id=customer.id, body=f"Called {first_name}, note {n}"))
        for n in range(memberships):
            session.add(
                Membership(
                    customer_id=customer.id,
                    program="Club",
                    number=f"M-{customer.id}-{n}",
                    started_on=date(2024, 1, 1),
                )
            )
        for key, value in (custom_fields or {}).items():
            definition_id = await session.scalar(
                select(CustomFieldDefinition.id).where(CustomFieldDefinition.key == key)
            )
            assert definition_id is not None, key
            session.add(
                CustomFieldValue(customer_id=customer.id, definition_id=definition_id, value=value)
            )
        for n in range(events):
            session.add(
                CustomerEvent(
                    customer_id=customer.id,
                    type="CUSTOMER_UPDATED",
                    message=f"Update {n}",
                    changes=[
                        {"field": "lastName", "old": "Old", "new": customer.last_name},
                        {"field": "status", "old": "UNVERIFIED", "new": status},
                    ],
                    created_at=now - timedelta(days=1),
                    actor_type="CUSTOMER",
                    actor_id=customer.id,
                    actor_label=f"{first_name} {customer.last_name}",
                )
            )
        for n in range(messages):
            assert address is not None
            await enqueue_message(
                session,
                customer_id=customer.id,
                channel="EMAIL",
                kind="TEST",
                recipient=address,
                subject=f"Message {n}",
                body=f"Hello {first_name}",
            )
        if reset_link:
            await issue_action_token(session, customer.id, RESET_PASSWORD, address)
    token, _ = issue_token(TEST_SECRET, "customer", customer.id, 1, timedelta(hours=1))
    return Made(
        customer.id, encode_global_id("Customer", customer.id), customer.reference, address, token
    )


async def snapshot(world: SeededWorld, customer_id: int) -> dict[str, Any]:
    """The customer's row and every row around it, to compare before and after."""
    engine = world.app.state.engine
    row = (await fetch(engine, select(Customer.__table__).where(Customer.id == customer_id)))[0]
    state: dict[str, Any] = {"customer": dict(row._mapping)}
    for name, model in (
        ("addresses", Address),
        ("orders", Order),
        ("points", PointsEntry),
        ("credit", CreditEntry),
        ("gift_cards", GiftCard),
        ("notes", Note),
        ("memberships", Membership),
        ("events", CustomerEvent),
        ("notifications", Notification),
        ("custom_fields", CustomFieldValue),
        ("action_tokens", ActionToken),
    ):
        table = model.__table__
        # The delivery worker updates a notification's delivery state at any moment;
        # what an action writes is the notification itself.
        columns = [c for c in table.c if not (model is Notification and c.name in DELIVERY)]
        rows = await fetch(engine, select(*columns).where(table.c.customer_id == customer_id))
        state[name] = sorted((tuple(r) for r in rows), key=repr)
    return state


DELIVERY = frozenset({"status", "attempts", "error", "sent_at"})


CUSTOMER_STATE = """query($id: ID!) { customer(id: $id) {
  id version status email emailVerified firstName lastName
  events(first: 5) { nodes { type message changes { field oldValue newValue } } } } }"""
SET_STATUS = """mutation($id: ID!, $status: CustomerStatus!, $reason: String, $v: Int) {
  customerSetStatus(input: {customerId: $id, status: $status, reason: $reason,
                            expectedVersion: $v}) {
    customer { id status version } userErrors { field code message } } }"""
DELETE = """mutation($id: ID!, $v: Int) {
  customerDelete(input: {customerId: $id, expectedVersion: $v}) {
    deletedCustomerId userErrors { field code message } } }"""
ERASE = """mutation($id: ID!, $v: Int) {
  customerErase(input: {customerId: $id, expectedVersion: $v}) {
    customer { id status version firstName lastName displayName email phone }
    userErrors { field code message } } }"""
CHANGE_EMAIL = """mutation($id: ID!, $email: String!, $v: Int, $key: String) {
  customerChangeEmail(input: {customerId: $id, email: $email, expectedVersion: $v,
                              idempotencyKey: $key}) {
    customer { id email emailVerified version status } userErrors { field code message } } }"""
CUSTOMER_LOGIN = """mutation($email: String!, $password: String!) {
  customerLogin(input: {email: $email, password: $password}) {
    token userErrors { code } } }"""
WHO = "{ viewer { kind } }"


async def state_of(wgql: GraphQLClient, made: Made) -> dict[str, Any]:
    customer: dict[str, Any] = (await wgql(CUSTOMER_STATE, {"id": made.gid})).ok()["customer"]
    return customer


def only_error(payload: dict[str, Any]) -> tuple[str, list[str] | None]:
    errors = payload["userErrors"]
    assert len(errors) == 1, errors
    return errors[0]["code"], errors[0]["field"]


# ---------------------------------------------------------------------------------------
# customerSetStatus


async def test_blocking_ends_sessions_and_logs_the_status_change(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    made = await make_customer(writable)
    assert (await wgql.as_(made.token)(WHO)).ok()["viewer"]["kind"] == "CUSTOMER"
    before = await state_of(wgql, made)

    data = (
        await wgql(
            SET_STATUS,
            {"id": made.gid, "status": "BLOCKED", "reason": "Chargebacks", "v": before["version"]},
        )
    ).ok()["customerSetStatus"]
    assert data["userErrors"] == []
    assert data["customer"] == {
        "id": made.gid,
        "status": "BLOCKED",
        "version": before["version"] + 1,
    }
    event = (await state_of(wgql, made))["events"]["nodes"][0]
    assert event["type"] == "STATUS_CHANGED"
    assert "Chargebacks" in event["message"]
    assert event["changes"] == [{"field": "status", "oldValue": "ACTIVE", "newValue": "BLOCKED"}]
    assert (await wgql.as_(made.token)(WHO)).status == 401

    # Unblocking does not bring the ended session back.
    unblocked = (await wgql(SET_STATUS, {"id": made.gid, "status": "ACTIVE"})).ok()
    assert unblocked["customerSetStatus"]["customer"]["status"] == "ACTIVE"
    assert (await wgql.as_(made.token)(WHO)).status == 401


async def test_status_moves_only_along_the_allowed_transitions(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    for current in STATUSES:
        for wanted in STATUSES:
            made = await make_customer(writable, status=current)
            before = await snapshot(writable, made.id)
            data = (await wgql(SET_STATUS, {"id": made.gid, "status": wanted})).ok()
            payload = data["customerSetStatus"]
            if (current, wanted) in ALLOWED:
                assert payload["userErrors"] == [], (current, wanted)
                assert payload["customer"]["status"] == wanted
            elif current == wanted and current not in ("MERGED", "ERASED"):
                # Already there: success with the customer, nothing written.
                assert payload["userErrors"] == [], current
                assert payload["customer"]["status"] == current
                assert await snapshot(writable, made.id) == before, current
            else:
                assert only_error(payload) == ("INVALID_TRANSITION", ["status"]), (current, wanted)
                assert payload["customer"] is None
                assert await snapshot(writable, made.id) == before


async def test_a_retried_status_change_succeeds_and_writes_nothing_more(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    made = await make_customer(writable)
    version = (await state_of(wgql, made))["version"]
    first = (await wgql(SET_STATUS, {"id": made.gid, "status": "BLOCKED", "v": version})).ok()
    assert first["customerSetStatus"]["customer"]["version"] == version + 1
    after_first = await snapshot(writable, made.id)
    # The ERP did not see the answer and sends the same request again, version and all.
    again = (await wgql(SET_STATUS, {"id": made.gid, "status": "BLOCKED", "v": version})).ok()
    payload = again["customerSetStatus"]
    assert payload["userErrors"] == []
    assert payload["customer"] == {"id": made.gid, "status": "BLOCKED", "version": version + 1}
    assert await snapshot(writable, made.id) == after_first
    events = (await state_of(wgql, made))["events"]["nodes"]
    assert [e["type"] for e in events].count("STATUS_CHANGED") == 1


async def test_deactivating_and_disabling_end_sessions_too(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    for status in ("INACTIVE", "DISABLED"):
        made = await make_customer(writable)
        (await wgql(SET_STATUS, {"id": made.gid, "status": status})).ok()
        assert (await wgql.as_(made.token)(WHO)).status == 401, status


async def test_set_status_with_a_stale_version_is_a_conflict_and_writes_nothing(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    made = await make_customer(writable)
    before = await snapshot(writable, made.id)
    data = (await wgql(SET_STATUS, {"id": made.gid, "status": "BLOCKED", "v": 99})).ok()
    assert only_error(data["customerSetStatus"]) == ("CONFLICT", ["expectedVersion"])
    assert await snapshot(writable, made.id) == before


async def test_set_status_refuses_long_reasons_and_unknown_customers(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    made = await make_customer(writable)
    before = await snapshot(writable, made.id)
    data = (await wgql(SET_STATUS, {"id": made.gid, "status": "BLOCKED", "reason": "x" * 301})).ok()
    assert only_error(data["customerSetStatus"]) == ("TOO_LONG", ["reason"])
    assert await snapshot(writable, made.id) == before
    missing = encode_global_id("Customer", 10**9)
    data = (await wgql(SET_STATUS, {"id": missing, "status": "BLOCKED"})).ok()
    assert only_error(data["customerSetStatus"]) == ("NOT_FOUND", ["customerId"])


async def test_set_status_needs_customers_write(wgql: GraphQLClient, writable: SeededWorld) -> None:
    made = await make_customer(writable)
    before = await snapshot(writable, made.id)
    for token in (writable.tokens["VIEWER"], made.token):
        response = await wgql.as_(token)(SET_STATUS, {"id": made.gid, "status": "BLOCKED"})
        assert response.codes == ["FORBIDDEN"]
    assert await snapshot(writable, made.id) == before
    allowed = await wgql.as_(writable.tokens["SUPPORT"])(
        SET_STATUS, {"id": made.gid, "status": "BLOCKED"}
    )
    assert allowed.ok()["customerSetStatus"]["customer"]["status"] == "BLOCKED"


# ---------------------------------------------------------------------------------------
# customerDelete


async def test_delete_removes_a_customer_with_everything_around_it_and_logs_who(
    wgql: GraphQLClient, writable: SeededWorld, caplog: pytest.LogCaptureFixture
) -> None:
    made = await make_customer(
        writable, addresses=2, notes=2, events=1, messages=1, gift_cards=((Decimal(0), True),)
    )
    engine = writable.app.state.engine
    notification_ids = [
        r.id
        for r in await fetch(
            engine, select(Notification.id).where(Notification.customer_id == made.id)
        )
    ]
    version = (await state_of(wgql, made))["version"]
    caplog.set_level(logging.INFO, logger="custgraph.domain.lifecycle")

    response = await wgql(
        DELETE, {"id": made.gid, "v": version}, headers={"X-Request-Id": "lc-delete-1"}
    )
    assert response.ok()["customerDelete"] == {"deletedCustomerId": made.gid, "userErrors": []}
    assert (await wgql(CUSTOMER_STATE, {"id": made.gid})).data["customer"] is None
    assert not await fetch(engine, select(Customer.id).where(Customer.id == made.id))
    for model in (Address, Note, CustomerEvent, Notification, GiftCard):
        assert not await fetch(engine, select(model.id).where(model.customer_id == made.id))
    # Nothing queued for a deleted customer goes out, and the outbox keeps nothing of it.
    assert not await fetch(
        engine, select(OutboxMessage.id).where(OutboxMessage.notification_id.in_(notification_ids))
    )
    assert not await fetch(
        engine, select(OutboxMessage.id).where(OutboxMessage.recipient == made.email)
    )
    logged = [r.getMessage() for r in caplog.records if r.name == "custgraph.domain.lifecycle"]
    assert any(made.reference in m and "lc-delete-1" in m and "STAFF" in m for m in logged), logged


async def test_delete_is_refused_with_has_orders_and_writes_nothing(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    made = await make_customer(writable, orders=(Decimal("19.90"),), addresses=1)
    before = await snapshot(writable, made.id)
    data = (await wgql(DELETE, {"id": made.gid})).ok()["customerDelete"]
    assert data["deletedCustomerId"] is None
    assert only_error(data) == ("HAS_ORDERS", ["customerId"])
    assert await snapshot(writable, made.id) == before


async def test_delete_is_refused_while_credit_or_live_gift_cards_would_vanish(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    for history in (
        {"credit": Decimal("5.00")},
        {"gift_cards": ((Decimal("25.00"), True),)},
    ):
        made = await make_customer(writable, **history)
        before = await snapshot(writable, made.id)
        data = (await wgql(DELETE, {"id": made.gid})).ok()["customerDelete"]
        assert only_error(data) == ("NOT_ALLOWED", ["customerId"]), history
        assert "vanish" in data["userErrors"][0]["message"]
        assert await snapshot(writable, made.id) == before
    # Spent or deactivated cards hold nothing that could vanish.
    made = await make_customer(
        writable, points=50, gift_cards=((Decimal("0.00"), True), (Decimal("8.00"), False))
    )
    data = (await wgql(DELETE, {"id": made.gid})).ok()["customerDelete"]
    assert data == {"deletedCustomerId": made.gid, "userErrors": []}


async def test_delete_with_a_stale_version_is_a_conflict(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    made = await make_customer(writable)
    data = (await wgql(DELETE, {"id": made.gid, "v": 7})).ok()["customerDelete"]
    assert only_error(data) == ("CONFLICT", ["expectedVersion"])
    assert await fetch(writable.app.state.engine, select(Customer.id).where(Customer.id == made.id))


async def test_delete_needs_customers_delete(wgql: GraphQLClient, writable: SeededWorld) -> None:
    made = await make_customer(writable)
    before = await snapshot(writable, made.id)
    for role in ("SUPPORT", "VIEWER"):
        response = await wgql.as_(writable.tokens[role])(DELETE, {"id": made.gid})
        assert response.codes == ["FORBIDDEN"], role
    assert (await wgql.as_(made.token)(DELETE, {"id": made.gid})).codes == ["FORBIDDEN"]
    assert await snapshot(writable, made.id) == before


# ---------------------------------------------------------------------------------------
# customerErase


async def test_erase_removes_personal_data_and_keeps_orders_and_ledgers(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    made = await make_customer(
        writable,
        salutation="Ms",
        phone="+33612345678",
        company="Analytical Engines Ltd",
        date_of_birth=date(1990, 12, 10),
        city="Lyon",
        gender="FEMALE",
        id_document_type="PASSPORT",
        id_document_number="X1234567",
        external_id=f"ERP-{uuid.uuid4().hex[:8]}",
        account_number="ACC-1",
        registration_code="SPRING",
        referral_code=uuid.uuid4().hex[:8].upper(),
        mfa_enabled=True,
        mfa_phone="+33612345679",
        addresses=2,
        notes=2,
        orders=(Decimal("10.00"), Decimal("32.50")),
        points=120,
        credit=Decimal("7.25"),
        gift_cards=((Decimal("15.00"), True),),
        memberships=1,
        tags=("VIP",),
        custom_fields={"vat_number": "FR123"},
        events=1,
        messages=1,
        reset_link=True,
    )
    engine = writable.app.state.engine
    before = await snapshot(writable, made.id)
    assert (await wgql.as_(made.token)(WHO)).ok()

    data = (await wgql(ERASE, {"id": made.gid, "v": before["customer"]["version"]})).ok()[
        "customerErase"
    ]
    assert data["userErrors"] == []
    assert data["customer"] == {
        "id": made.gid,
        "status": "ERASED",
        "version": before["customer"]["version"] + 1,
        "firstName": "",
        "lastName": "Erased",
        "displayName": "Erased",
        "email": None,
        "phone": None,
    }
    after = await snapshot(writable, made.id)
    row = after["customer"]
    for column in (
        "email", "phone", "salutation", "company", "date_of_birth", "city", "id_document_type",
        "id_document_number", "external_id", "account_number", "registration_code",
        "referral_code", "mfa_phone", "password_hash",
    ):  # fmt: skip
        assert row[column] is None, column
    assert row["gender"] == "UNSPECIFIED" and row["mfa_enabled"] is False
    assert made.reference.lower() in row["search_text"]
    assert "ada" not in row["search_text"] and "@" not in row["search_text"]
    assert row["token_version"] == before["customer"]["token_version"] + 1
    for name in ("addresses", "notes", "custom_fields", "action_tokens"):
        assert after[name] == [], name
    # Business records stay, with their totals.
    for name in ("orders", "points", "credit"):
        assert after[name] == before[name], name
    assert (row["order_count"], row["total_revenue"]) == (2, Decimal("42.50"))
    assert (row["points_balance"], row["credit_balance"]) == (120, Decimal("7.25"))
    assert row["tags"] == ["VIP"]
    cards = await fetch(
        engine, select(GiftCard.balance, GiftCard.message).where(GiftCard.customer_id == made.id)
    )
    assert [(c.balance, c.message) for c in cards] == [(Decimal("15.00"), None)]
    members = await fetch(
        engine, select(Membership.number).where(Membership.customer_id == made.id)
    )
    assert [m.number for m in members] == [None]
    notifications = await fetch(
        engine,
        select(Notification.id, Notification.recipient).where(Notification.customer_id == made.id),
    )
    assert [n.recipient for n in notifications] == [None]
    assert not await fetch(
        engine, select(OutboxMessage.id).where(OutboxMessage.notification_id == notifications[0].id)
    )
    # The log keeps what happened, not who it was about.
    events = (await state_of(wgql, made))["events"]["nodes"]
    assert events[0]["type"] == "CUSTOMER_ERASED"
    assert events[0]["changes"] == [{"field": "status", "oldValue": "ACTIVE", "newValue": "ERASED"}]
    assert events[1]["message"] == "[erased]"
    older = events[1]["changes"]
    assert {"field": "lastName", "oldValue": "[erased]", "newValue": "[erased]"} in older
    assert {"field": "status", "oldValue": "UNVERIFIED", "newValue": "ACTIVE"} in older
    labels = await fetch(
        engine,
        select(CustomerEvent.actor_label).where(
            CustomerEvent.actor_id == made.id, CustomerEvent.actor_type == "CUSTOMER"
        ),
    )
    assert {r.actor_label for r in labels} == {"erased customer"}
    assert (await wgql.as_(made.token)(WHO)).status == 401


async def test_an_erased_customer_cannot_change_any_more(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    made = await make_customer(writable)
    (await wgql(ERASE, {"id": made.gid})).ok()
    before = await snapshot(writable, made.id)
    again = (await wgql(ERASE, {"id": made.gid})).ok()["customerErase"]
    assert only_error(again) == ("NOT_ALLOWED", ["customerId"])
    status = (await wgql(SET_STATUS, {"id": made.gid, "status": "ACTIVE"})).ok()
    assert only_error(status["customerSetStatus"]) == ("INVALID_TRANSITION", ["status"])
    email = (await wgql(CHANGE_EMAIL, {"id": made.gid, "email": unique_email()})).ok()
    assert only_error(email["customerChangeEmail"]) == ("NOT_ALLOWED", ["customerId"])
    deleted = (await wgql(DELETE, {"id": made.gid})).ok()["customerDelete"]
    assert only_error(deleted) == ("NOT_ALLOWED", ["customerId"])
    assert await snapshot(writable, made.id) == before


async def test_erase_with_a_stale_version_is_a_conflict_and_writes_nothing(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    made = await make_customer(writable, addresses=1, notes=1)
    before = await snapshot(writable, made.id)
    data = (await wgql(ERASE, {"id": made.gid, "v": 42})).ok()["customerErase"]
    assert only_error(data) == ("CONFLICT", ["expectedVersion"])
    assert await snapshot(writable, made.id) == before


async def test_erase_needs_customers_delete(wgql: GraphQLClient, writable: SeededWorld) -> None:
    made = await make_customer(writable, addresses=1)
    before = await snapshot(writable, made.id)
    for role in ("SUPPORT", "VIEWER"):
        assert (await wgql.as_(writable.tokens[role])(ERASE, {"id": made.gid})).codes == [
            "FORBIDDEN"
        ]
    assert (await wgql.as_(made.token)(ERASE, {"id": made.gid})).codes == ["FORBIDDEN"]
    assert await snapshot(writable, made.id) == before


# ---------------------------------------------------------------------------------------
# customerChangeEmail


async def test_change_email_moves_sign_in_to_the_new_address_and_tells_the_old_one(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    made = await make_customer(writable, reset_link=True)
    assert made.email is not None
    engine = writable.app.state.engine
    old_reset = await fetch(
        engine,
        select(ActionToken.id).where(
            ActionToken.customer_id == made.id, ActionToken.used_at.is_(None)
        ),
    )
    assert old_reset
    new_email = unique_email("moved")
    version = (await state_of(wgql, made))["version"]

    typed = new_email.replace("moved", "Moved").replace("example.com", "EXAMPLE.com")
    data = (await wgql(CHANGE_EMAIL, {"id": made.gid, "email": typed, "v": version})).ok()[
        "customerChangeEmail"
    ]
    assert data["userErrors"] == []
    assert data["customer"]["emailVerified"] is False
    assert data["customer"]["version"] == version + 1
    # Stored normalised: the domain lower-cased, the mailbox name as typed.
    stored = data["customer"]["email"]
    assert stored == new_email.replace("moved", "Moved")

    anonymous = wgql.as_(None)
    old_login = (await anonymous(CUSTOMER_LOGIN, {"email": made.email, "password": PASSWORD})).ok()
    assert old_login["customerLogin"]["userErrors"] == [{"code": "INVALID_CREDENTIALS"}]
    new_login = (await anonymous(CUSTOMER_LOGIN, {"email": new_email, "password": PASSWORD})).ok()
    assert new_login["customerLogin"]["token"]
    # Sessions are not ended.
    assert (await wgql.as_(made.token)(WHO)).ok()

    assert await latest_link_token(engine, stored, "confirm")
    notice = await fetch(
        engine,
        select(Notification.recipient).where(
            Notification.customer_id == made.id, Notification.kind == "EMAIL_CHANGED_NOTICE"
        ),
    )
    assert [n.recipient for n in notice] == [made.email]
    mail = await active_inbox().wait_for(made.email, "email address was changed")
    assert "no longer signs in" in mail.text
    # A link mailed to the old address earlier no longer works.
    still_open = await fetch(
        engine,
        select(ActionToken.id).where(
            ActionToken.id.in_([r.id for r in old_reset]), ActionToken.used_at.is_(None)
        ),
    )
    assert still_open == []

    event = (await state_of(wgql, made))["events"]["nodes"][0]
    assert event["type"] == "EMAIL_CHANGED"
    assert {"field": "email", "oldValue": made.email, "newValue": stored} in event["changes"]
    assert {"field": "emailVerified", "oldValue": "True", "newValue": "False"} in event["changes"]


async def test_change_email_refuses_taken_invalid_and_unchanged_addresses(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    made = await make_customer(writable)
    other = await make_customer(writable)
    assert made.email and other.email
    before = await snapshot(writable, made.id)
    for email, code in (
        (other.email.upper(), "TAKEN"),
        ("not an email", "INVALID"),
        (made.email, "INVALID"),
    ):
        data = (await wgql(CHANGE_EMAIL, {"id": made.gid, "email": email})).ok()
        assert only_error(data["customerChangeEmail"]) == (code, ["email"]), email
    assert await snapshot(writable, made.id) == before


async def test_change_email_with_a_stale_version_is_a_conflict(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    made = await make_customer(writable)
    before = await snapshot(writable, made.id)
    data = (await wgql(CHANGE_EMAIL, {"id": made.gid, "email": unique_email(), "v": 5})).ok()
    assert only_error(data["customerChangeEmail"]) == ("CONFLICT", ["expectedVersion"])
    assert await snapshot(writable, made.id) == before


async def test_a_customer_changes_its_own_email_and_nobody_elses(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    me = await make_customer(writable)
    other = await make_customer(writable)
    other_before = await snapshot(writable, other.id)
    as_me = wgql.as_(me.token)
    mine = (await as_me(CHANGE_EMAIL, {"id": me.gid, "email": unique_email("self")})).ok()
    assert mine["customerChangeEmail"]["userErrors"] == []
    assert mine["customerChangeEmail"]["customer"]["emailVerified"] is False
    theirs = await as_me(CHANGE_EMAIL, {"id": other.gid, "email": unique_email("evil")})
    assert theirs.codes == ["NOT_FOUND"]
    assert await snapshot(writable, other.id) == other_before


async def test_change_email_needs_customers_write(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    made = await make_customer(writable)
    before = await snapshot(writable, made.id)
    response = await wgql.as_(writable.tokens["VIEWER"])(
        CHANGE_EMAIL, {"id": made.gid, "email": unique_email()}
    )
    assert response.codes == ["FORBIDDEN"]
    assert await snapshot(writable, made.id) == before


async def test_change_email_retried_with_its_idempotency_key_sends_once(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    made = await make_customer(writable)
    email, key = unique_email("retry"), uuid.uuid4().hex
    first = (await wgql(CHANGE_EMAIL, {"id": made.gid, "email": email, "key": key})).ok()
    after_first = await snapshot(writable, made.id)
    retry = (await wgql(CHANGE_EMAIL, {"id": made.gid, "email": email, "key": key})).ok()
    assert retry == first
    assert await snapshot(writable, made.id) == after_first
    reused = (await wgql(CHANGE_EMAIL, {"id": made.gid, "email": unique_email(), "key": key})).ok()
    assert only_error(reused["customerChangeEmail"]) == (
        "IDEMPOTENCY_KEY_REUSED",
        ["idempotencyKey"],
    )
    sent = await fetch(
        writable.app.state.engine,
        select(func.count()).select_from(OutboxMessage).where(OutboxMessage.recipient == email),
    )
    assert sent[0][0] == 1
