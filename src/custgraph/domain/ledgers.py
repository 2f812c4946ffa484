"""Loyalty points, store credit and the loyalty level of a customer.

Points and credit live in append-only ledgers: every movement is an entry with the
balance after it, and the balance column on the customer is set to that same value in
the same transaction, under the customer's row lock. So the newest entry's
`balance_after` always equals the customer's balance, and concurrent adjustments queue
on the lock instead of reading a stale balance.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from custgraph.db.models import CreditEntry, Customer, PointsEntry
from custgraph.domain.actors import Actor
from custgraph.domain.caller import Caller
from custgraph.domain.customer_action import (
    CustomerAction,
    Outcome,
    act_on_customer,
    changed,
    unchanged,
)
from custgraph.domain.errors import DomainError
from custgraph.domain.events import change
from custgraph.domain.idempotency import of_customer_row

# The loyalty levels a customer can hold, lowest first.
LEVELS = ("Bronze", "Silver", "Gold", "Platinum")

MAX_REASON_LENGTH = 500  # the ledgers' `reason` column
MAX_EVENT_MESSAGE_LENGTH = 500  # the activity log's `message` column
MAX_POINTS_DELTA = 10_000_000
MAX_POINTS_BALANCE = 2**31 - 1  # an INTEGER column on PostgreSQL
MAX_CREDIT_ADJUSTMENT = Decimal("1000000.00")
CENT = Decimal("0.01")
# ASCII digits only (`\d` would accept other scripts' digits); no exponent, NaN or
# infinity, which Decimal() would otherwise accept.
_AMOUNT = re.compile(r"[+-]?[0-9]{1,12}(?:\.[0-9]{1,2})?")

POINTS_ADJUST = "customerPointsAdjust"
CREDIT_ADJUST = "customerCreditAdjust"


def parse_amount(text: str, field: Sequence[str] = ("amount",)) -> Decimal:
    """A signed decimal string with at most two decimals ("12.50", "-3", "+0.5"), exactly.

    Anything else ("abc", "1.234", "1e5", "NaN", "") is INVALID on `field`.
    """
    value = text.strip()
    if not _AMOUNT.fullmatch(value):
        raise DomainError(
            "INVALID",
            "Amounts are decimal numbers with at most two decimals, e.g. 12.50 or -3.00.",
            field,
        )
    return Decimal(value).quantize(CENT)


def checked_reason(reason: str, field: Sequence[str] = ("reason",)) -> str:
    """The reason without surrounding blanks: required, at most MAX_REASON_LENGTH long."""
    value = reason.strip()
    if not value:
        raise DomainError("REQUIRED", "Say why the balance changes.", field)
    if len(value) > MAX_REASON_LENGTH:
        raise DomainError(
            "TOO_LONG", f"Reasons have at most {MAX_REASON_LENGTH} characters.", field
        )
    return value


def event_message(text: str) -> str:
    """`text` cut to what the activity log's message column holds."""
    if len(text) <= MAX_EVENT_MESSAGE_LENGTH:
        return text
    return text[: MAX_EVENT_MESSAGE_LENGTH - 1] + "…"


# --- points ------------------------------------------------------------------------


@dataclass(frozen=True)
class PointsAdjustment:
    customer_id: int
    delta: int
    reason: str
    expected_version: int | None = None
    idempotency_key: str | None = None


@dataclass(frozen=True)
class PointsAdjusted:
    customer_id: int
    entry: PointsEntry | None  # None only when a replayed entry no longer exists


def _checked_delta(delta: int) -> int:
    if delta == 0:
        raise DomainError("INVALID", "A points adjustment cannot be zero.", ["delta"])
    if abs(delta) > MAX_POINTS_DELTA:
        raise DomainError(
            "INVALID", f"Adjust by at most {MAX_POINTS_DELTA:,} points at once.", ["delta"]
        )
    return delta


async def append_points_entry(
    session: AsyncSession,
    customer: Customer,
    actor: Actor,
    delta: int,
    reason: str,
    source: str = "ADJUSTMENT",
    field: Sequence[str] = ("delta",),
) -> PointsEntry:
    """Move a locked customer's points by `delta`: a ledger entry with the balance after
    it, and `points_balance` set to that same balance (flushed, so the entry has its id).

    INSUFFICIENT_BALANCE on `field` when the balance would fall below zero. Every
    movement of points goes through here (merges too), which keeps the ledger and the
    balance equal.
    """
    old = customer.points_balance
    new = old + delta
    if new < 0:
        raise DomainError(
            "INSUFFICIENT_BALANCE",
            f"The customer has {old} points; {-delta} cannot be taken.",
            field,
        )
    if new > MAX_POINTS_BALANCE:
        raise DomainError("INVALID", "The points balance would grow too large.", field)
    entry = PointsEntry(
        customer_id=customer.id,
        delta=delta,
        balance_after=new,
        reason=reason,
        source=source,
        **actor.columns(),
    )
    session.add(entry)
    customer.points_balance = new
    await session.flush()
    return entry


async def adjust_points(
    sessions: async_sessionmaker[AsyncSession], caller: Caller, adjustment: PointsAdjustment
) -> PointsAdjusted:
    """Add (positive delta) or take (negative) loyalty points, never below zero.

    Appends an ADJUSTMENT entry to the points ledger with the balance after it and sets
    the customer's `points_balance` to that balance. INSUFFICIENT_BALANCE when the
    balance would fall below zero; a retry with the same idempotency key returns the
    first entry and writes nothing.
    """
    delta = _checked_delta(adjustment.delta)
    reason = checked_reason(adjustment.reason)

    async def act(session: AsyncSession, customer: Customer) -> Outcome[PointsAdjusted]:
        old = customer.points_balance
        entry = await append_points_entry(session, customer, caller.actor, delta, reason)
        return changed(
            PointsAdjusted(customer.id, entry),
            "POINTS_ADJUSTED",
            event_message(f"Points {delta:+d}: {reason}"),
            [change("pointsBalance", old, entry.balance_after)],
        )

    action = CustomerAction(
        POINTS_ADJUST,
        caller,
        adjustment.customer_id,
        adjustment.expected_version,
        adjustment.idempotency_key,
        {"delta": delta, "reason": reason},
    )
    return await act_on_customer(sessions, action, act, _POINTS_KEPT)


# --- credit ------------------------------------------------------------------------


@dataclass(frozen=True)
class CreditAdjustment:
    customer_id: int
    amount: str  # signed decimal string, in the shop currency
    reason: str
    expected_version: int | None = None
    idempotency_key: str | None = None


@dataclass(frozen=True)
class CreditAdjusted:
    customer_id: int
    entry: CreditEntry | None  # None only when a replayed entry no longer exists


def _checked_credit_amount(text: str) -> Decimal:
    amount = parse_amount(text)
    if amount == 0:
        raise DomainError("INVALID", "A credit adjustment cannot be zero.", ["amount"])
    if abs(amount) > MAX_CREDIT_ADJUSTMENT:
        raise DomainError(
            "INVALID", f"Adjust by at most {MAX_CREDIT_ADJUSTMENT:,} at once.", ["amount"]
        )
    return amount


async def append_credit_entry(
    session: AsyncSession,
    customer: Customer,
    actor: Actor,
    amount: Decimal,
    reason: str,
    currency: str,
    field: Sequence[str] = ("amount",),
) -> CreditEntry:
    """Move a locked customer's store credit by `amount`: a ledger entry with the balance
    after it, and `credit_balance` set to that same balance (flushed, so the entry has
    its id).

    INSUFFICIENT_BALANCE on `field` when the balance would fall below zero. Every
    movement of credit goes through here (merges too), which keeps the ledger and the
    balance equal.
    """
    old = customer.credit_balance
    new = old + amount
    if new < 0:
        raise DomainError(
            "INSUFFICIENT_BALANCE",
            f"The customer has {old} {currency} of credit; {-amount} cannot be taken.",
            field,
        )
    entry = CreditEntry(
        customer_id=customer.id,
        amount=amount,
        balance_after=new,
        currency=currency,
        reason=reason,
        **actor.columns(),
    )
    session.add(entry)
    customer.credit_balance = new
    await session.flush()
    return entry


async def adjust_credit(
    sessions: async_sessionmaker[AsyncSession],
    caller: Caller,
    adjustment: CreditAdjustment,
    currency: str,
) -> CreditAdjusted:
    """Top up (positive amount) or reduce (negative) store credit, never below zero.

    `amount` is a signed decimal string with at most two decimals in the shop
    `currency`. Appends an entry to the credit ledger and sets `credit_balance` to its
    balance after, in one transaction. INSUFFICIENT_BALANCE when the balance would fall
    below zero; a retry with the same idempotency key returns the first entry.
    """
    amount = _checked_credit_amount(adjustment.amount)
    reason = checked_reason(adjustment.reason)

    async def act(session: AsyncSession, customer: Customer) -> Outcome[CreditAdjusted]:
        old = customer.credit_balance
        entry = await append_credit_entry(session, customer, caller.actor, amount, reason, currency)
        return changed(
            CreditAdjusted(customer.id, entry),
            "CREDIT_ADJUSTED",
            event_message(f"Credit {amount:+} {currency}: {reason}"),
            [change("creditBalance", old, entry.balance_after)],
        )

    action = CustomerAction(
        CREDIT_ADJUST,
        caller,
        adjustment.customer_id,
        adjustment.expected_version,
        adjustment.idempotency_key,
        {"amount": str(amount), "reason": reason},
    )
    return await act_on_customer(sessions, action, act, _CREDIT_KEPT)


# --- level -------------------------------------------------------------------------


def checked_level(level: str) -> str:
    """The level as spelled in LEVELS, matched case-insensitively; INVALID otherwise."""
    wanted = level.strip().lower()
    for known in LEVELS:
        if known.lower() == wanted:
            return known
    raise DomainError("INVALID", f"The level is one of {', '.join(LEVELS)}.", ["level"])


async def change_level(
    sessions: async_sessionmaker[AsyncSession],
    caller: Caller,
    customer_id: int,
    level: str,
    expected_version: int | None = None,
) -> int:
    """Set the customer's loyalty level to one of LEVELS; returns the customer's id.

    Asking for the level the customer already has changes nothing and writes nothing
    (no version bump, no event), so repeating the call is harmless.
    """
    new = checked_level(level)

    async def act(_session: AsyncSession, customer: Customer) -> Outcome[int]:
        old = customer.level
        if old == new:
            return unchanged(customer.id)
        customer.level = new
        return changed(
            customer.id, "LEVEL_CHANGED", f"Level changed to {new}", [change("level", old, new)]
        )

    action = CustomerAction("customerLevelChange", caller, customer_id, expected_version)
    return await act_on_customer(sessions, action, act)


_POINTS_KEPT = of_customer_row(PointsEntry, "entry_id", "entry", PointsAdjusted)
_CREDIT_KEPT = of_customer_row(CreditEntry, "entry_id", "entry", CreditAdjusted)
