"""Loyalty and money over HTTP: points, store credit, loyalty levels and gift cards."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from custgraph.db.models import (
    CreditEntry,
    Customer,
    CustomerEvent,
    GiftCard,
    GiftCardEntry,
    IdempotencyRecord,
    Notification,
    OutboxMessage,
    PointsEntry,
)
from custgraph.domain import ledgers, transaction
from custgraph.domain.actors import Actor
from custgraph.domain.gift_cards import CODE_ALPHABET, CODE_LENGTH
from custgraph.domain.references import assign_reference, placeholder_reference
from custgraph.global_id import decode_global_id, encode_global_id
from tests.conftest import SeededWorld
from tests.support.client import GraphQLClient, GraphQLResponse
from tests.support.databases import backend
from tests.support.smtp import Inbox
from tests.support.truth import fetch

POINTS = """mutation($input: CustomerPointsAdjustInput!) { customerPointsAdjust(input: $input) {
  customer { id version pointsBalance }
  pointsEntry { id delta balanceAfter reason source actor { kind name } }
  userErrors { field code message } } }"""
CREDIT = """mutation($input: CustomerCreditAdjustInput!) { customerCreditAdjust(input: $input) {
  customer { id version creditBalance { amount currency } }
  creditEntry { id amount { amount currency } balanceAfter { amount } reason actor { kind } }
  userErrors { field code message } } }"""
LEVEL = """mutation($input: CustomerLevelChangeInput!) { customerLevelChange(input: $input) {
  customer { id version level } userErrors { field code message } } }"""
ISSUE = """mutation($input: GiftCardIssueInput!) { giftCardIssue(input: $input) {
  customer { id version giftCards { id } }
  giftCard { id code initialBalance { amount currency } balance { amount } expiresOn
             isActive message }
  userErrors { field code message } } }"""
DEACTIVATE = """mutation($input: GiftCardDeactivateInput!) { giftCardDeactivate(input: $input) {
  customer { id version }
  giftCard { id isActive balance { amount } initialBalance { amount } }
  userErrors { field code message } } }"""
STATE = """query($id: ID!) { customer(id: $id) {
  version level pointsBalance creditBalance { amount }
  pointsHistory(first: 5) { nodes { delta balanceAfter } }
  creditHistory(first: 5) { nodes { amount { amount } balanceAfter { amount } } }
  giftCards { id code isActive balance { amount } }
  events(first: 5) { nodes { type message actor { kind name }
                             changes { field oldValue newValue } } } } }"""
UNKNOWN_CUSTOMER = encode_global_id("Customer", 2_000_000_000)


# --- helpers -----------------------------------------------------------------------


async def _new_customer(
    writable: SeededWorld, *, email: bool = True, status: str = "ACTIVE"
) -> str:
    """A fresh customer with empty ledgers (a factory: the record area is not ours)."""
    async with writable.app.state.session_factory.begin() as session:
        customer = Customer(
            reference=placeholder_reference(),
            first_name="Mary",
            last_name="Money",
            email=f"money.{uuid.uuid4().hex[:10]}@shop.example.com" if email else None,
            status=status,
        )
        session.add(customer)
        await assign_reference(session, customer)
    return encode_global_id("Customer", customer.id)


def _db_id(global_id: str) -> int:
    return decode_global_id(global_id)[1]


async def _state(wgql: GraphQLClient, customer_id: str) -> dict[str, Any]:
    customer: dict[str, Any] = (await wgql(STATE, {"id": customer_id})).ok()["customer"]
    return customer


async def _rows(writable: SeededWorld, model: Any, customer_id: str) -> int:
    rows = await fetch(
        writable.app.state.engine,
        select(func.count()).select_from(model).where(model.customer_id == _db_id(customer_id)),
    )
    return int(rows[0][0])


async def _written(writable: SeededWorld, customer_id: str) -> dict[str, int]:
    """How many rows hang off the customer in each table a money mutation writes."""
    counts = {
        model.__name__: await _rows(writable, model, customer_id)
        for model in (PointsEntry, CreditEntry, CustomerEvent, GiftCard, Notification)
    }
    cards = await fetch(
        writable.app.state.engine,
        select(func.count())
        .select_from(GiftCardEntry)
        .join(GiftCard, GiftCard.id == GiftCardEntry.gift_card_id)
        .where(GiftCard.customer_id == _db_id(customer_id)),
    )
    counts["GiftCardEntry"] = int(cards[0][0])
    return counts


async def _points(wgql: GraphQLClient, customer_id: str, delta: int, **extra: Any) -> Any:
    response = await wgql(
        POINTS, {"input": {"customerId": customer_id, "delta": delta, "reason": "test", **extra}}
    )
    return response.ok()["customerPointsAdjust"]


async def _credit(wgql: GraphQLClient, customer_id: str, amount: str, **extra: Any) -> Any:
    response = await wgql(
        CREDIT, {"input": {"customerId": customer_id, "amount": amount, "reason": "test", **extra}}
    )
    return response.ok()["customerCreditAdjust"]


async def _issue(wgql: GraphQLClient, customer_id: str, amount: str = "50.00", **extra: Any) -> Any:
    response = await wgql(ISSUE, {"input": {"customerId": customer_id, "amount": amount, **extra}})
    return response.ok()["giftCardIssue"]


def _errors(payload: Any) -> list[tuple[str, list[str] | None]]:
    return [(e["code"], e["field"]) for e in payload["userErrors"]]


# --- points ------------------------------------------------------------------------


async def test_points_adjust_adds_and_takes_points_through_the_ledger(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    customer_id = await _new_customer(writable)
    added = await _points(wgql, customer_id, 120)
    assert added["userErrors"] == []
    assert added["customer"] == {"id": customer_id, "version": 2, "pointsBalance": 120}
    entry = added["pointsEntry"]
    assert (entry["delta"], entry["balanceAfter"], entry["source"]) == (120, 120, "ADJUSTMENT")
    assert entry["actor"] == {"kind": "STAFF", "name": "Owner Tester"}

    taken = await _points(wgql, customer_id, -20, expectedVersion=2)
    assert taken["customer"]["pointsBalance"] == 100 and taken["customer"]["version"] == 3
    assert taken["pointsEntry"]["balanceAfter"] == 100

    state = await _state(wgql, customer_id)
    assert [(e["delta"], e["balanceAfter"]) for e in state["pointsHistory"]["nodes"]] == [
        (-20, 100),
        (120, 120),
    ]
    event = state["events"]["nodes"][0]
    assert event["type"] == "POINTS_ADJUSTED" and event["actor"]["kind"] == "STAFF"
    assert event["changes"] == [{"field": "pointsBalance", "oldValue": "120", "newValue": "100"}]


async def test_points_adjust_below_zero_is_insufficient_balance_and_writes_nothing(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    customer_id = await _new_customer(writable)
    await _points(wgql, customer_id, 10)
    before, written = await _state(wgql, customer_id), await _written(writable, customer_id)
    refused = await _points(wgql, customer_id, -11)
    assert _errors(refused) == [("INSUFFICIENT_BALANCE", ["delta"])]
    assert refused["customer"] is None and refused["pointsEntry"] is None
    assert await _state(wgql, customer_id) == before
    assert await _written(writable, customer_id) == written
    emptied = await _points(wgql, customer_id, -10)
    assert emptied["customer"]["pointsBalance"] == 0


@pytest.mark.parametrize(
    ("delta", "reason", "expected"),
    [
        (0, "test", ("INVALID", ["delta"])),
        (10_000_001, "test", ("INVALID", ["delta"])),
        (5, "   ", ("REQUIRED", ["reason"])),
        (5, "x" * 501, ("TOO_LONG", ["reason"])),
    ],
)
async def test_points_adjust_refuses_invalid_input_and_writes_nothing(
    wgql: GraphQLClient, writable: SeededWorld, delta: int, reason: str, expected: Any
) -> None:
    customer_id = await _new_customer(writable)
    written = await _written(writable, customer_id)
    response = await wgql(
        POINTS, {"input": {"customerId": customer_id, "delta": delta, "reason": reason}}
    )
    assert _errors(response.ok()["customerPointsAdjust"]) == [expected]
    assert await _written(writable, customer_id) == written
    assert (await _state(wgql, customer_id))["version"] == 1


async def test_points_adjust_with_a_stale_expected_version_is_a_conflict(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    customer_id = await _new_customer(writable)
    await _points(wgql, customer_id, 5)
    written = await _written(writable, customer_id)
    stale = await _points(wgql, customer_id, 5, expectedVersion=1)
    assert _errors(stale) == [("CONFLICT", ["expectedVersion"])]
    assert await _written(writable, customer_id) == written
    state = await _state(wgql, customer_id)
    assert (state["version"], state["pointsBalance"]) == (2, 5)


async def test_money_mutations_on_an_unknown_customer_are_not_found(wgql: GraphQLClient) -> None:
    points = await _points(wgql, UNKNOWN_CUSTOMER, 5)
    credit = await _credit(wgql, UNKNOWN_CUSTOMER, "5.00")
    card = await _issue(wgql, UNKNOWN_CUSTOMER)
    level = (await wgql(LEVEL, {"input": {"customerId": UNKNOWN_CUSTOMER, "level": "Gold"}})).ok()[
        "customerLevelChange"
    ]
    for payload in (points, credit, card, level):
        assert _errors(payload) == [("NOT_FOUND", ["customerId"])]


async def test_money_mutations_on_a_merged_customer_are_not_allowed(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    customer_id = await _new_customer(writable, status="MERGED")
    assert _errors(await _points(wgql, customer_id, 5)) == [("NOT_ALLOWED", ["customerId"])]
    assert _errors(await _credit(wgql, customer_id, "5.00")) == [("NOT_ALLOWED", ["customerId"])]
    assert _errors(await _issue(wgql, customer_id)) == [("NOT_ALLOWED", ["customerId"])]
    assert set((await _written(writable, customer_id)).values()) == {0}


async def test_points_adjust_retried_with_its_idempotency_key_writes_once(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    customer_id = await _new_customer(writable)
    key = f"points-{uuid.uuid4()}"
    first = await _points(wgql, customer_id, 40, idempotencyKey=key)
    again = await _points(wgql, customer_id, 40, idempotencyKey=key)
    assert again["userErrors"] == [] and again == first
    assert (await _state(wgql, customer_id))["pointsBalance"] == 40
    assert (await _written(writable, customer_id))["PointsEntry"] == 1
    other = await _points(wgql, customer_id, 41, idempotencyKey=key)
    assert _errors(other) == [("IDEMPOTENCY_KEY_REUSED", ["idempotencyKey"])]
    assert (await _written(writable, customer_id))["PointsEntry"] == 1


async def test_concurrent_retries_with_one_idempotency_key_write_once(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    customer_id = await _new_customer(writable)
    key = f"race-{uuid.uuid4()}"
    payloads = await asyncio.gather(
        *(_credit(wgql, customer_id, "7.00", idempotencyKey=key) for _ in range(8))
    )
    assert all(p["userErrors"] == [] for p in payloads)
    assert len({p["creditEntry"]["id"] for p in payloads}) == 1
    assert (await _written(writable, customer_id))["CreditEntry"] == 1
    assert (await _state(wgql, customer_id))["creditBalance"] == {"amount": "7.00"}


# --- permissions -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "query", "variables"),
    [
        ("SUPPORT", POINTS, {"delta": 5, "reason": "x"}),
        ("VIEWER", POINTS, {"delta": 5, "reason": "x"}),
        ("SUPPORT", CREDIT, {"amount": "5.00", "reason": "x"}),
        ("SUPPORT", LEVEL, {"level": "Gold"}),
        ("SUPPORT", ISSUE, {"amount": "5.00"}),
        ("VIEWER", ISSUE, {"amount": "5.00"}),
    ],
)
async def test_roles_without_the_write_permission_are_forbidden_and_write_nothing(
    wgql: GraphQLClient,
    writable: SeededWorld,
    role: str,
    query: str,
    variables: dict[str, Any],
) -> None:
    customer_id = await _new_customer(writable)
    response = await wgql.as_(writable.tokens[role])(
        query, {"input": {"customerId": customer_id, **variables}}
    )
    assert response.codes == ["FORBIDDEN"]
    assert set((await _written(writable, customer_id)).values()) == {0}
    assert (await _state(wgql, customer_id))["version"] == 1


async def test_gift_card_deactivate_without_giftcards_write_is_forbidden(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    customer_id = await _new_customer(writable)
    card_id = (await _issue(wgql, customer_id))["giftCard"]["id"]
    response = await wgql.as_(writable.tokens["SUPPORT"])(
        DEACTIVATE, {"input": {"giftCardId": card_id}}
    )
    assert response.codes == ["FORBIDDEN"]
    assert (await _state(wgql, customer_id))["giftCards"][0]["isActive"] is True


async def test_a_manager_may_move_points_and_credit(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    customer_id = await _new_customer(writable)
    manager = wgql.as_(writable.tokens["MANAGER"])
    assert (await _points(manager, customer_id, 3))["userErrors"] == []
    assert (await _credit(manager, customer_id, "3.00"))["userErrors"] == []


# --- credit ------------------------------------------------------------------------


async def test_credit_adjust_tops_up_and_reduces_through_the_ledger(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    customer_id = await _new_customer(writable)
    topped = await _credit(wgql, customer_id, "12.50")
    assert topped["userErrors"] == []
    assert topped["customer"]["creditBalance"] == {"amount": "12.50", "currency": "EUR"}
    assert topped["creditEntry"]["amount"] == {"amount": "12.50", "currency": "EUR"}
    assert topped["creditEntry"]["actor"] == {"kind": "STAFF"}

    reduced = await _credit(wgql, customer_id, "-3.00", expectedVersion=2)
    assert reduced["customer"]["creditBalance"]["amount"] == "9.50"
    assert reduced["customer"]["version"] == 3
    assert reduced["creditEntry"]["balanceAfter"] == {"amount": "9.50"}

    state = await _state(wgql, customer_id)
    assert [e["balanceAfter"]["amount"] for e in state["creditHistory"]["nodes"]] == [
        "9.50",
        "12.50",
    ]
    assert state["events"]["nodes"][0]["type"] == "CREDIT_ADJUSTED"
    assert state["events"]["nodes"][0]["changes"] == [
        {"field": "creditBalance", "oldValue": "12.50", "newValue": "9.50"}
    ]


@pytest.mark.parametrize(
    "amount", ["abc", "1.234", "1e5", "NaN", "Infinity", "", "  ", "0", "0.00", "12.", "1,5"]
)
async def test_credit_adjust_refuses_malformed_or_zero_amounts(
    wgql: GraphQLClient, writable: SeededWorld, amount: str
) -> None:
    customer_id = await _new_customer(writable)
    refused = await _credit(wgql, customer_id, amount)
    assert _errors(refused) == [("INVALID", ["amount"])]
    assert refused["customer"] is None and refused["creditEntry"] is None
    assert set((await _written(writable, customer_id)).values()) == {0}


async def test_credit_adjust_below_zero_is_insufficient_balance_and_writes_nothing(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    customer_id = await _new_customer(writable)
    await _credit(wgql, customer_id, "5.00")
    before, written = await _state(wgql, customer_id), await _written(writable, customer_id)
    refused = await _credit(wgql, customer_id, "-5.01")
    assert _errors(refused) == [("INSUFFICIENT_BALANCE", ["amount"])]
    assert await _state(wgql, customer_id) == before
    assert await _written(writable, customer_id) == written


async def test_credit_adjust_with_a_stale_expected_version_is_a_conflict(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    customer_id = await _new_customer(writable)
    await _credit(wgql, customer_id, "5.00")
    stale = await _credit(wgql, customer_id, "5.00", expectedVersion=1)
    assert _errors(stale) == [("CONFLICT", ["expectedVersion"])]
    assert (await _state(wgql, customer_id))["creditBalance"] == {"amount": "5.00"}


async def test_credit_adjust_retried_with_its_idempotency_key_writes_once(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    customer_id = await _new_customer(writable)
    key = f"credit-{uuid.uuid4()}"
    first = await _credit(wgql, customer_id, "2.00", idempotencyKey=key)
    again = await _credit(wgql, customer_id, "2.00", idempotencyKey=key)
    assert again == first
    other = await _credit(wgql, customer_id, "3.00", idempotencyKey=key)
    assert _errors(other) == [("IDEMPOTENCY_KEY_REUSED", ["idempotencyKey"])]
    assert (await _written(writable, customer_id))["CreditEntry"] == 1
    # Keys belong to one caller: another staff user's identical key is a new request.
    as_admin = wgql.as_(writable.tokens["ADMIN"])
    by_admin = await _credit(as_admin, customer_id, "2.00", idempotencyKey=key)
    assert by_admin["creditEntry"]["id"] != first["creditEntry"]["id"]


async def test_forty_concurrent_top_ups_all_succeed_and_add_up(
    wgql: GraphQLClient, writable: SeededWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Required proof 1: concurrent writers queue on the customer's lock; none is lost."""
    customer_id = await _new_customer(writable)
    transient: list[str] = []
    real_is_transient = transaction.is_transient

    def counting(error: Any) -> bool:
        if real_is_transient(error):
            transient.append(str(error.orig)[:80])
            return True
        return False

    monkeypatch.setattr(transaction, "is_transient", counting)
    started = time.perf_counter()
    responses: Sequence[GraphQLResponse] = await asyncio.gather(
        *(
            wgql(CREDIT, {"input": {"customerId": customer_id, "amount": "1.25", "reason": "x"}})
            for _ in range(40)
        )
    )
    elapsed = time.perf_counter() - started
    assert [r.errors for r in responses] == [[]] * 40
    assert all(r.data["customerCreditAdjust"]["userErrors"] == [] for r in responses)
    print(
        f"\n40 concurrent top-ups on {backend()}: {elapsed:.2f} s, "
        f"{len(transient)} transient errors retried {sorted(set(transient))}"
    )

    state = await _state(wgql, customer_id)
    assert state["creditBalance"] == {"amount": "50.00"}
    assert state["version"] == 41
    entries = await fetch(
        writable.app.state.engine,
        select(CreditEntry.amount, CreditEntry.balance_after)
        .where(CreditEntry.customer_id == _db_id(customer_id))
        .order_by(CreditEntry.id),
    )
    assert len(entries) == 40
    balance = Decimal("0.00")
    for amount, balance_after in entries:
        balance += amount
        assert balance_after == balance
    assert balance == Decimal("50.00")


# --- a database failing in the middle of a credit adjustment -----------------------


async def _assert_untouched(
    wgql: GraphQLClient, writable: SeededWorld, customer_id: str, before: dict[str, Any]
) -> None:
    assert await _state(wgql, customer_id) == before
    assert (await _written(writable, customer_id))["CreditEntry"] == 1
    assert (await _written(writable, customer_id))["CustomerEvent"] == 1
    records = await fetch(
        writable.app.state.engine,
        select(func.count())
        .select_from(IdempotencyRecord)
        .where(IdempotencyRecord.key.like("failing-%")),
    )
    assert records[0][0] == 0


async def test_a_statement_failing_mid_transaction_leaves_credit_untouched(
    wgql: GraphQLClient, writable: SeededWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Required proof 3: the entry is inserted, then the database refuses a later statement
    (a CHECK violation); the whole adjustment is rolled back."""
    customer_id = await _new_customer(writable)
    await _credit(wgql, customer_id, "10.00")
    before = await _state(wgql, customer_id)
    real_append = ledgers.append_credit_entry

    async def failing_append(session: AsyncSession, *args: Any, **kwargs: Any) -> CreditEntry:
        entry = await real_append(session, *args, **kwargs)  # inserted and flushed
        session.add(
            CreditEntry(
                customer_id=entry.customer_id,
                amount=Decimal("-1.00"),
                balance_after=Decimal("-1.00"),  # ck_credit_entries_balance_after_non_negative
                currency="EUR",
                reason="violates the CHECK constraint",
                **Actor("SYSTEM", None, "test").columns(),
            )
        )
        await session.flush()
        return entry

    monkeypatch.setattr(ledgers, "append_credit_entry", failing_append)
    response = await wgql(
        CREDIT,
        {
            "input": {
                "customerId": customer_id,
                "amount": "5.00",
                "reason": "x",
                "idempotencyKey": f"failing-{uuid.uuid4()}",
            }
        },
    )
    assert response.codes == ["INTERNAL"]
    assert "CHECK" not in str(response.body) and "credit_entries" not in str(response.body)
    monkeypatch.undo()
    await _assert_untouched(wgql, writable, customer_id, before)


@pytest.mark.skipif(backend() != "postgresql", reason="pg_terminate_backend is PostgreSQL's")
async def test_a_connection_killed_mid_transaction_leaves_credit_untouched(
    wgql: GraphQLClient, writable: SeededWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Required proof 3, harder: after the ledger entry is inserted, another connection
    terminates the transaction's backend before the customer row and event are written."""
    customer_id = await _new_customer(writable)
    await _credit(wgql, customer_id, "10.00")
    before = await _state(wgql, customer_id)
    url = make_url(writable.app.state.settings.database_url).set(drivername="postgresql")
    real_append = ledgers.append_credit_entry
    killed: list[int] = []

    async def append_then_die(session: AsyncSession, *args: Any, **kwargs: Any) -> CreditEntry:
        entry = await real_append(session, *args, **kwargs)
        pid = int(await session.scalar(text("SELECT pg_backend_pid()")))
        other = await asyncpg.connect(url.render_as_string(hide_password=False))
        try:
            assert await other.fetchval("SELECT pg_terminate_backend($1)", pid)
        finally:
            await other.close()
        killed.append(pid)
        return entry

    monkeypatch.setattr(ledgers, "append_credit_entry", append_then_die)
    response = await wgql(
        CREDIT,
        {
            "input": {
                "customerId": customer_id,
                "amount": "5.00",
                "reason": "x",
                "idempotencyKey": f"failing-{uuid.uuid4()}",
            }
        },
    )
    monkeypatch.undo()
    assert len(killed) == 1
    assert response.codes == ["INTERNAL"]
    await _assert_untouched(wgql, writable, customer_id, before)
    # The pool recovers: the next adjustment works.
    assert (await _credit(wgql, customer_id, "1.00"))["userErrors"] == []


# --- level -------------------------------------------------------------------------


async def test_level_change_sets_a_known_level_with_an_event(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    customer_id = await _new_customer(writable)
    changed = (
        await wgql(
            LEVEL, {"input": {"customerId": customer_id, "level": "gold", "expectedVersion": 1}}
        )
    ).ok()["customerLevelChange"]
    assert changed == {
        "customer": {"id": customer_id, "version": 2, "level": "Gold"},
        "userErrors": [],
    }
    event = (await _state(wgql, customer_id))["events"]["nodes"][0]
    assert event["type"] == "LEVEL_CHANGED"
    assert event["changes"] == [{"field": "level", "oldValue": None, "newValue": "Gold"}]

    again = (await wgql(LEVEL, {"input": {"customerId": customer_id, "level": "Gold"}})).ok()
    assert again["customerLevelChange"]["customer"]["version"] == 2  # nothing to change
    assert (await _written(writable, customer_id))["CustomerEvent"] == 1


@pytest.mark.parametrize("level", ["Diamond", "", "Gold Plus"])
async def test_level_change_refuses_unknown_levels(
    wgql: GraphQLClient, writable: SeededWorld, level: str
) -> None:
    customer_id = await _new_customer(writable)
    refused = (await wgql(LEVEL, {"input": {"customerId": customer_id, "level": level}})).ok()
    assert _errors(refused["customerLevelChange"]) == [("INVALID", ["level"])]
    state = await _state(wgql, customer_id)
    assert (state["version"], state["level"], state["events"]["nodes"]) == (1, None, [])


async def test_level_change_with_a_stale_expected_version_is_a_conflict(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    customer_id = await _new_customer(writable)
    await wgql(LEVEL, {"input": {"customerId": customer_id, "level": "Silver"}})
    stale = (
        await wgql(
            LEVEL, {"input": {"customerId": customer_id, "level": "Platinum", "expectedVersion": 1}}
        )
    ).ok()
    assert _errors(stale["customerLevelChange"]) == [("CONFLICT", ["expectedVersion"])]
    assert (await _state(wgql, customer_id))["level"] == "Silver"


# --- gift cards --------------------------------------------------------------------


async def test_gift_card_issue_creates_a_card_and_emails_it_as_a_gift(
    wgql: GraphQLClient, writable: SeededWorld, smtp_inbox: Inbox
) -> None:
    customer_id = await _new_customer(writable)
    expires = (datetime.now(UTC).date() + timedelta(days=365)).isoformat()
    issued = await _issue(wgql, customer_id, "25.50", expiresOn=expires, message="Happy birthday!")
    assert issued["userErrors"] == []
    card = issued["giftCard"]
    code = card["code"]
    assert len(code) == CODE_LENGTH and set(code) <= set(CODE_ALPHABET)
    assert not set(code) & set("0O1I")
    assert card["initialBalance"] == {"amount": "25.50", "currency": "EUR"}
    assert card["balance"] == {"amount": "25.50"}
    assert (card["expiresOn"], card["isActive"], card["message"]) == (
        expires,
        True,
        "Happy birthday!",
    )
    assert issued["customer"]["version"] == 2
    assert issued["customer"]["giftCards"] == [{"id": card["id"]}]

    entries = await fetch(
        writable.app.state.engine,
        select(GiftCardEntry.amount, GiftCardEntry.balance_after, GiftCardEntry.reason).where(
            GiftCardEntry.gift_card_id == _db_id(card["id"])
        ),
    )
    assert [tuple(e) for e in entries] == [(Decimal("25.50"), Decimal("25.50"), "ISSUED")]

    event = (await _state(wgql, customer_id))["events"]["nodes"][0]
    assert event["type"] == "GIFT_CARD_ISSUED"
    assert event["changes"][0]["field"] == "giftCards"
    assert code not in str(event), "the activity log shows only the last four characters"
    assert code[-4:] in event["changes"][0]["newValue"]

    messages = await fetch(
        writable.app.state.engine,
        select(Notification.kind, Notification.channel, Notification.recipient)
        .join(OutboxMessage, OutboxMessage.notification_id == Notification.id)
        .where(Notification.customer_id == _db_id(customer_id)),
    )
    assert len(messages) == 1
    kind, channel, recipient = messages[0]
    assert (kind, channel) == ("GIFT_CARD", "EMAIL")
    # The worker empties the outbox body once sent (it holds the code): read what arrived.
    body = (await smtp_inbox.wait_for(recipient, "gift card")).text
    assert code in body and "25.50 EUR" in body and "Happy birthday!" in body


async def test_gift_card_code_shows_only_its_last_four_without_giftcards_write(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    customer_id = await _new_customer(writable)
    code = (await _issue(wgql, customer_id))["giftCard"]["code"]
    support = wgql.as_(writable.tokens["SUPPORT"])
    cards = (await support(STATE, {"id": customer_id})).ok()["customer"]["giftCards"]
    assert cards[0]["code"] == code[-4:]


async def test_gift_card_issue_to_a_customer_without_email_sends_nothing(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    customer_id = await _new_customer(writable, email=False)
    issued = await _issue(wgql, customer_id, "10.00")
    assert issued["userErrors"] == [] and issued["giftCard"]["isActive"] is True
    written = await _written(writable, customer_id)
    assert (written["GiftCard"], written["GiftCardEntry"], written["Notification"]) == (1, 1, 0)


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"amount": "0.00"}, ("INVALID", ["amount"])),
        ({"amount": "-5.00"}, ("INVALID", ["amount"])),
        ({"amount": "10000.01"}, ("INVALID", ["amount"])),
        ({"amount": "1.234"}, ("INVALID", ["amount"])),
        ({"amount": "lots"}, ("INVALID", ["amount"])),
        (
            {"amount": "5.00", "expiresOn": (date.today() - timedelta(days=2)).isoformat()},
            ("INVALID", ["expiresOn"]),
        ),
        ({"amount": "5.00", "message": "x" * 1001}, ("TOO_LONG", ["message"])),
    ],
)
async def test_gift_card_issue_refuses_invalid_input_and_writes_nothing(
    wgql: GraphQLClient, writable: SeededWorld, fields: dict[str, str], expected: Any
) -> None:
    customer_id = await _new_customer(writable)
    refused = await _issue(wgql, customer_id, **fields)
    assert _errors(refused) == [expected]
    assert refused["giftCard"] is None
    assert set((await _written(writable, customer_id)).values()) == {0}


async def test_gift_card_issue_accepts_the_maximum_and_an_expiry_of_today(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    customer_id = await _new_customer(writable)
    today = datetime.now(UTC).date().isoformat()
    issued = await _issue(wgql, customer_id, "10000", expiresOn=today)
    assert issued["userErrors"] == []
    assert issued["giftCard"]["initialBalance"]["amount"] == "10000.00"


async def test_gift_card_issue_retried_with_its_idempotency_key_issues_one_card(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    customer_id = await _new_customer(writable)
    key = f"gift-{uuid.uuid4()}"
    first = await _issue(wgql, customer_id, "20.00", message="Hi", idempotencyKey=key)
    again = await _issue(wgql, customer_id, "20.00", message="Hi", idempotencyKey=key)
    assert again == first
    other = await _issue(wgql, customer_id, "20.00", message="Hello", idempotencyKey=key)
    assert _errors(other) == [("IDEMPOTENCY_KEY_REUSED", ["idempotencyKey"])]
    written = await _written(writable, customer_id)
    assert (written["GiftCard"], written["Notification"], written["CustomerEvent"]) == (1, 1, 1)


async def test_gift_card_deactivate_empties_the_card_through_its_ledger(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    customer_id = await _new_customer(writable)
    card_id = (await _issue(wgql, customer_id, "30.00"))["giftCard"]["id"]
    done = (
        await wgql(DEACTIVATE, {"input": {"giftCardId": card_id, "reason": "Reported stolen"}})
    ).ok()["giftCardDeactivate"]
    assert done["userErrors"] == []
    assert done["giftCard"] == {
        "id": card_id,
        "isActive": False,
        "balance": {"amount": "0.00"},
        "initialBalance": {"amount": "30.00"},
    }
    assert done["customer"] == {"id": customer_id, "version": 3}

    entries = await fetch(
        writable.app.state.engine,
        select(GiftCardEntry.amount, GiftCardEntry.balance_after, GiftCardEntry.reason)
        .where(GiftCardEntry.gift_card_id == _db_id(card_id))
        .order_by(GiftCardEntry.id),
    )
    assert [tuple(e) for e in entries] == [
        (Decimal("30.00"), Decimal("30.00"), "ISSUED"),
        (Decimal("-30.00"), Decimal("0.00"), "DEACTIVATED: Reported stolen"),
    ]
    event = (await _state(wgql, customer_id))["events"]["nodes"][0]
    assert event["type"] == "GIFT_CARD_DEACTIVATED"
    assert "Reported stolen" in event["message"]
    assert "active" in event["changes"][0]["oldValue"]
    assert "inactive" in event["changes"][0]["newValue"]


async def test_gift_card_deactivate_twice_is_not_allowed_unless_retried_with_its_key(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    customer_id = await _new_customer(writable)
    card_id = (await _issue(wgql, customer_id))["giftCard"]["id"]
    key = f"off-{uuid.uuid4()}"
    variables = {"input": {"giftCardId": card_id, "idempotencyKey": key}}
    first = (await wgql(DEACTIVATE, variables)).ok()["giftCardDeactivate"]
    retried = (await wgql(DEACTIVATE, variables)).ok()["giftCardDeactivate"]
    assert retried == first and first["userErrors"] == []
    again = (await wgql(DEACTIVATE, {"input": {"giftCardId": card_id}})).ok()
    assert _errors(again["giftCardDeactivate"]) == [("NOT_ALLOWED", ["giftCardId"])]
    written = await _written(writable, customer_id)
    assert (written["GiftCardEntry"], written["CustomerEvent"]) == (2, 2)


async def test_gift_card_deactivate_of_an_unknown_card_is_not_found(wgql: GraphQLClient) -> None:
    unknown = encode_global_id("GiftCard", 2_000_000_000)
    refused = (await wgql(DEACTIVATE, {"input": {"giftCardId": unknown}})).ok()
    assert _errors(refused["giftCardDeactivate"]) == [("NOT_FOUND", ["giftCardId"])]
    wrong_type = await wgql(DEACTIVATE, {"input": {"giftCardId": UNKNOWN_CUSTOMER}})
    assert wrong_type.codes == ["BAD_REQUEST"]


async def test_gift_card_issue_with_a_stale_expected_version_is_a_conflict(
    wgql: GraphQLClient,
) -> None:
    created = (
        await wgql("""mutation { customerCreate(input: {firstName: "Gift",
        lastName: "Versioned"}) { customer { id version } } }""")
    ).ok()["customerCreate"]
    customer = created["customer"]
    issue = """mutation($id: ID!, $version: Int) { giftCardIssue(input: {customerId: $id,
        amount: "25.00", expectedVersion: $version}) { giftCard { id } customer { version }
        userErrors { field code } } }"""
    stale = (await wgql(issue, {"id": customer["id"], "version": 99})).ok()["giftCardIssue"]
    assert stale == {
        "giftCard": None,
        "customer": None,
        "userErrors": [{"field": ["expectedVersion"], "code": "CONFLICT"}],
    }
    fresh = (await wgql(issue, {"id": customer["id"], "version": 1})).ok()["giftCardIssue"]
    assert fresh["userErrors"] == [] and fresh["customer"]["version"] == 2
