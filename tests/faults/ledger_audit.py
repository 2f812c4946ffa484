"""Money mutations sent with idempotency keys, and an audit of what the database kept.

A fault test sends `Adjustment`s, breaks something, and then asks `audit` what was
written: it fails on any broken invariant (a ledger that does not chain, a balance
that differs from the newest entry, an entry without its activity event or
idempotency record or the other way round, a key applied twice, a version that moved
without an entry) and returns the entry each applied key wrote.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from custgraph.db.models import CreditEntry, Customer, CustomerEvent, IdempotencyRecord, PointsEntry
from custgraph.domain import ledgers
from custgraph.global_id import decode_global_id, encode_global_id
from tests.support.truth import fetch

CREDIT_ADJUST = """mutation FaultCredit($input: CustomerCreditAdjustInput!) {
  customerCreditAdjust(input: $input) { creditEntry { id } userErrors { code message } } }"""
POINTS_ADJUST = """mutation FaultPoints($input: CustomerPointsAdjustInput!) {
  customerPointsAdjust(input: $input) { pointsEntry { id } userErrors { code message } } }"""


@dataclass(frozen=True)
class Ledger:
    name: str
    model: type[CreditEntry] | type[PointsEntry]
    change_column: str  # the entry's signed movement
    balance_column: str  # the customer's balance the ledger keeps
    event_type: str
    operation: str  # as idempotency records name it
    document: str
    field: str
    entry_field: str
    value_argument: str


CREDIT = Ledger(
    "credit",
    CreditEntry,
    "amount",
    "credit_balance",
    "CREDIT_ADJUSTED",
    ledgers.CREDIT_ADJUST,
    CREDIT_ADJUST,
    "customerCreditAdjust",
    "creditEntry",
    "amount",
)
POINTS = Ledger(
    "points",
    PointsEntry,
    "delta",
    "points_balance",
    "POINTS_ADJUSTED",
    ledgers.POINTS_ADJUST,
    POINTS_ADJUST,
    "customerPointsAdjust",
    "pointsEntry",
    "delta",
)
LEDGERS = (CREDIT, POINTS)


@dataclass(frozen=True)
class Adjustment:
    """One top-up, identified by its idempotency key (which its reason repeats)."""

    key: str
    ledger: Ledger
    customer_id: int
    value: str | int

    @property
    def reason(self) -> str:
        return f"fault test {self.key}"

    def body(self) -> dict[str, Any]:
        return {
            "query": self.ledger.document,
            "variables": {
                "input": {
                    "customerId": encode_global_id("Customer", self.customer_id),
                    self.ledger.value_argument: self.value,
                    "reason": self.reason,
                    "idempotencyKey": self.key,
                }
            },
        }


def adjustments(prefix: str, count: int, customer_ids: Sequence[int]) -> list[Adjustment]:
    """`count` top-ups spread over the customers, alternating credit and points, each
    with its own amount."""
    made = []
    for n in range(count):
        ledger = LEDGERS[n % 2]
        value: str | int = f"{1 + n % 7}.{n % 100:02d}" if ledger is CREDIT else 1 + n % 13
        made.append(
            Adjustment(f"{prefix}-{n:03d}", ledger, customer_ids[n % len(customer_ids)], value)
        )
    return made


@dataclass(frozen=True)
class Answer:
    """What the client got for one request: the entry's id, or why there is none."""

    entry_id: int | None
    status: int | None  # None: no HTTP answer arrived (connection refused, reset, closed)
    body: Any = None
    retry_after: str | None = None

    @property
    def succeeded(self) -> bool:
        return self.entry_id is not None


async def send(http: httpx.AsyncClient, token: str, adjustment: Adjustment, attempt: int) -> Answer:
    """Send one adjustment; a transport failure is an Answer without status, not an error.

    The request id names the key and the attempt, so the activity log shows which
    request wrote an entry.
    """
    headers = {
        "Authorization": f"Bearer {token}",
        "Accept": "application/graphql-response+json",
        "X-Request-Id": f"{adjustment.key}.{attempt}",
    }
    try:
        response = await http.post("/graphql", json=adjustment.body(), headers=headers)
    except httpx.TransportError:
        return Answer(None, None)
    retry_after = response.headers.get("retry-after")
    try:
        body = response.json()
    except ValueError:
        return Answer(None, response.status_code, response.text, retry_after)
    payload = ((body or {}).get("data") or {}).get(adjustment.ledger.field) or {}
    entry = payload.get(adjustment.ledger.entry_field)
    if response.status_code == 200 and entry and not payload.get("userErrors"):
        return Answer(decode_global_id(entry["id"])[1], 200, body)
    return Answer(None, response.status_code, body, retry_after)


@dataclass(frozen=True)
class Applied:
    customer_id: int
    entry_id: int
    ledger: str


async def versions(engine: AsyncEngine, customer_ids: Iterable[int]) -> dict[int, int]:
    rows = await fetch(
        engine, select(Customer.id, Customer.version).where(Customer.id.in_(list(customer_ids)))
    )
    return {row[0]: row[1] for row in rows}


async def audit(
    engine: AsyncEngine,
    sent: Sequence[Adjustment],
    versions_before: dict[int, int],
) -> dict[str, Applied]:
    """Check the ledgers of the customers `sent` touched; the keys applied, with their entry.

    `versions_before` are the customers' versions before the first of `sent`; nothing
    but `sent` may have changed them since.
    """
    by_reason = {a.reason: a for a in sent}
    customer_ids = sorted({a.customer_id for a in sent})
    customers = {
        row.id: row
        for row in await fetch(
            engine,
            select(
                Customer.id, Customer.version, Customer.credit_balance, Customer.points_balance
            ).where(Customer.id.in_(customer_ids)),
        )
    }
    applied: dict[str, Applied] = {}
    applied_per_customer: Counter[int] = Counter()
    for ledger in LEDGERS:
        model = ledger.model
        change = getattr(model, ledger.change_column)
        for customer_id in customer_ids:
            entries = await fetch(
                engine,
                select(model.id, change, model.balance_after, model.reason)
                .where(model.customer_id == customer_id)
                .order_by(model.id),
            )
            balance: Decimal | int = 0
            for entry_id, moved, balance_after, reason in entries:
                assert balance_after == balance + moved, (
                    f"{ledger.name} entry {entry_id} of customer {customer_id} does not chain: "
                    f"{balance} + {moved} != {balance_after}"
                )
                balance = balance_after
                adjustment = by_reason.get(reason)
                if adjustment is None:
                    continue
                assert adjustment.ledger is ledger and adjustment.customer_id == customer_id
                assert Decimal(str(moved)) == Decimal(str(adjustment.value)), (reason, moved)
                assert adjustment.key not in applied, f"{adjustment.key} was applied twice"
                applied[adjustment.key] = Applied(customer_id, entry_id, ledger.name)
                applied_per_customer[customer_id] += 1
            held = getattr(customers[customer_id], ledger.balance_column)
            assert held == balance, (
                f"customer {customer_id} holds {ledger.name} {held}, its ledger ends at {balance}"
            )

    for customer_id, customer in customers.items():
        assert (
            customer.version - versions_before[customer_id] == applied_per_customer[customer_id]
        ), f"customer {customer_id}'s version moved without (or with more than) ledger entries"

    await _check_events(engine, sent, applied)
    await _check_idempotency_records(engine, sent, applied)
    return applied


async def _check_events(
    engine: AsyncEngine, sent: Sequence[Adjustment], applied: dict[str, Applied]
) -> None:
    """Each applied key has exactly one activity event, written by one of its requests,
    recording the entry's balance change; no event without an entry."""
    keys = {a.key: a for a in sent}
    events = await fetch(
        engine,
        select(
            CustomerEvent.customer_id,
            CustomerEvent.type,
            CustomerEvent.request_id,
            CustomerEvent.changes,
        ).where(
            CustomerEvent.customer_id.in_(sorted({a.customer_id for a in sent})),
            CustomerEvent.type.in_([ledger.event_type for ledger in LEDGERS]),
        ),
    )
    seen: Counter[str] = Counter()
    for customer_id, event_type, request_id, changes in events:
        key = (request_id or "").rpartition(".")[0]
        if key not in keys:
            continue  # the seed's history
        assert key in applied, f"an event of {key} without its ledger entry"
        adjustment = keys[key]
        assert event_type == adjustment.ledger.event_type and customer_id == adjustment.customer_id
        seen[key] += 1
        entry = applied[key]
        model = adjustment.ledger.model
        rows = await fetch(
            engine,
            select(getattr(model, adjustment.ledger.change_column), model.balance_after).where(
                model.id == entry.entry_id
            ),
        )
        moved, balance_after = rows[0]
        assert len(changes) == 1
        assert Decimal(changes[0]["new"]) == Decimal(str(balance_after)), (key, changes)
        assert Decimal(changes[0]["old"]) == Decimal(str(balance_after - moved)), (key, changes)
    missing = sorted(k for k in applied if seen[k] != 1)
    assert not missing, f"entries without exactly one activity event: {missing}"


async def _check_idempotency_records(
    engine: AsyncEngine, sent: Sequence[Adjustment], applied: dict[str, Applied]
) -> None:
    """Each applied key has one stored result naming its entry; no result without one."""
    rows = await fetch(
        engine,
        select(
            IdempotencyRecord.operation, IdempotencyRecord.key, IdempotencyRecord.response
        ).where(IdempotencyRecord.key.in_([a.key for a in sent])),
    )
    keys = {a.key: a for a in sent}
    stored: dict[str, int] = {}
    for operation, key, response in rows:
        assert key not in stored, f"two stored results for {key}"
        assert operation == keys[key].ledger.operation
        assert key in applied, f"a stored result for {key}, which wrote no entry"
        stored[key] = response["entry_id"]
        assert stored[key] == applied[key].entry_id, (key, response, applied[key])
    assert set(stored) == set(applied), sorted(set(applied) - set(stored))
