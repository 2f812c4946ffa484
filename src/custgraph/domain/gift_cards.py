"""Gift cards: issuing one to a customer (sent to them as a gift) and deactivating it.

A card's balance moves only through its append-only ledger (`gift_card_entries`), each
entry carrying the balance after it, written in the same transaction as the card.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from custgraph.db.models import Customer, GiftCard, GiftCardEntry
from custgraph.domain.caller import Caller
from custgraph.domain.customer_action import (
    CustomerAction,
    Outcome,
    act_on_locked_customer,
    changed,
)
from custgraph.domain.errors import DomainError
from custgraph.domain.events import change
from custgraph.domain.idempotency import of_customer_row, once
from custgraph.domain.ledgers import parse_amount
from custgraph.domain.outbox import enqueue_message
from custgraph.domain.transaction import in_transaction

# Uppercase letters and digits without the look-alikes 0/O and 1/I, so a code read
# aloud or typed from paper comes out right.
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 16  # 32**16 = 2**80 codes: not guessable, collisions practically never
MAX_AMOUNT = Decimal("10000.00")
MAX_MESSAGE_LENGTH = 1000  # the cards' `message` column
MAX_DEACTIVATION_REASON_LENGTH = 400  # leaves room for the prefix in the entry's reason
ISSUED = "ISSUED"
DEACTIVATED = "DEACTIVATED"

GIFT_CARD_ISSUE = "giftCardIssue"
GIFT_CARD_DEACTIVATE = "giftCardDeactivate"


def new_code() -> str:
    """A random gift card code from CODE_ALPHABET, drawn with `secrets`."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def _label(card: GiftCard) -> str:
    # Only the last four characters: readers of the activity log (`audit:read`) may
    # not see codes in full, which spend the card.
    state = "active" if card.is_active else "inactive"
    return f"…{card.code[-4:]} {state}, {card.balance} {card.currency}"


# --- issue -------------------------------------------------------------------------


@dataclass(frozen=True)
class GiftCardIssue:
    customer_id: int
    amount: str  # decimal string, in the shop currency
    expires_on: date | None = None
    message: str | None = None
    idempotency_key: str | None = None
    expected_version: int | None = None


@dataclass(frozen=True)
class GiftCardResult:
    customer_id: int
    gift_card: GiftCard | None  # None only when a replayed card no longer exists


def _checked_amount(text: str) -> Decimal:
    amount = parse_amount(text)
    if amount <= 0:
        raise DomainError("INVALID", "A gift card's amount must be positive.", ["amount"])
    if amount > MAX_AMOUNT:
        raise DomainError("INVALID", f"A gift card holds at most {MAX_AMOUNT:,}.", ["amount"])
    return amount


def _checked_expiry(expires_on: date | None, today: date) -> date | None:
    if expires_on is not None and expires_on < today:
        raise DomainError("INVALID", "The expiry date is in the past.", ["expiresOn"])
    return expires_on


def _checked_message(message: str | None) -> str | None:
    value = (message or "").strip()
    if len(value) > MAX_MESSAGE_LENGTH:
        raise DomainError(
            "TOO_LONG", f"Messages have at most {MAX_MESSAGE_LENGTH} characters.", ["message"]
        )
    return value or None


async def _unused_code(session: AsyncSession) -> str:
    for _ in range(5):
        code = new_code()
        if not await session.scalar(select(exists().where(GiftCard.code == code))):
            return code
    raise AssertionError("no unused gift card code after 5 draws")  # 2**-80 odds per draw


async def _send_gift(session: AsyncSession, customer: Customer, card: GiftCard) -> None:
    """Email the card to the customer, when they have an email address."""
    if customer.email is None:
        return
    greeting = f"Hello {customer.first_name}," if customer.first_name else "Hello,"
    lines = [
        greeting,
        "",
        f"you received a gift card worth {card.initial_balance} {card.currency}.",
        f"Your code: {card.code}",
    ]
    if card.expires_on is not None:
        lines.append(f"It can be used until {card.expires_on.isoformat()}.")
    if card.message:
        lines += ["", card.message]
    await enqueue_message(
        session,
        customer_id=customer.id,
        channel="EMAIL",
        kind="GIFT_CARD",
        recipient=customer.email,
        subject="You received a gift card",
        body="\n".join(lines) + "\n",
    )


async def issue_gift_card(
    sessions: async_sessionmaker[AsyncSession],
    caller: Caller,
    issue: GiftCardIssue,
    currency: str,
    today: date | None = None,
) -> GiftCardResult:
    """Give the customer a new gift card worth `amount` and email it to them as a gift.

    The card gets a random unique code; its initial balance and balance are `amount`
    (positive, at most MAX_AMOUNT, in `currency`), written to the card's ledger as an
    ISSUED entry. `expires_on`, if given, is not before `today` (UTC). The email goes
    through the outbox when the customer has an address. A retry with the same
    idempotency key returns the first card.
    """
    amount = _checked_amount(issue.amount)
    expires_on = _checked_expiry(issue.expires_on, today or datetime.now(UTC).date())
    message = _checked_message(issue.message)
    request = {
        "customer_id": issue.customer_id,
        "amount": str(amount),
        "expires_on": expires_on,
        "message": message,
    }

    async def act(session: AsyncSession, customer: Customer) -> Outcome[GiftCardResult]:
        card = GiftCard(
            customer_id=customer.id,
            code=await _unused_code(session),
            initial_balance=amount,
            balance=amount,
            currency=currency,
            expires_on=expires_on,
            is_active=True,
            message=message,
        )
        session.add(card)
        await session.flush()  # the card's id, for its ledger entry
        session.add(
            GiftCardEntry(
                gift_card_id=card.id,
                amount=amount,
                balance_after=amount,
                reason=ISSUED,
                **caller.actor.columns(),
            )
        )
        await _send_gift(session, customer, card)
        return changed(
            GiftCardResult(customer.id, card),
            "GIFT_CARD_ISSUED",
            f"Gift card …{card.code[-4:]} issued: {amount} {currency}",
            [change("giftCards", None, _label(card))],
        )

    action = CustomerAction(GIFT_CARD_ISSUE, caller, issue.customer_id, issue.expected_version)

    async def work(session: AsyncSession) -> GiftCardResult:
        return await act_on_locked_customer(session, action, act)

    # Not act_on_customer's fingerprint: keys were stored without the expected version,
    # and adding it would refuse their retries as IDEMPOTENCY_KEY_REUSED.
    return await in_transaction(
        sessions, once(caller, GIFT_CARD_ISSUE, issue.idempotency_key, request, work, _CARD_KEPT)
    )


# --- deactivate --------------------------------------------------------------------


@dataclass(frozen=True)
class GiftCardDeactivation:
    gift_card_id: int
    reason: str | None = None
    idempotency_key: str | None = None


def _checked_deactivation_reason(reason: str | None) -> str | None:
    value = (reason or "").strip()
    if len(value) > MAX_DEACTIVATION_REASON_LENGTH:
        raise DomainError(
            "TOO_LONG",
            f"Reasons have at most {MAX_DEACTIVATION_REASON_LENGTH} characters.",
            ["reason"],
        )
    return value or None


async def deactivate_gift_card(
    sessions: async_sessionmaker[AsyncSession], caller: Caller, deactivation: GiftCardDeactivation
) -> GiftCardResult:
    """Deactivate a gift card for good: its balance goes to zero through a ledger entry.

    NOT_FOUND for an unknown card, NOT_ALLOWED when it is already inactive. The owner's
    activity log records it. A retry with the same idempotency key returns the card.
    """
    reason = _checked_deactivation_reason(deactivation.reason)
    request = {"gift_card_id": deactivation.gift_card_id, "reason": reason}

    async def act(session: AsyncSession, customer: Customer) -> Outcome[GiftCardResult]:
        card = await session.scalar(
            select(GiftCard).where(GiftCard.id == deactivation.gift_card_id).with_for_update()
        )
        if card is None or card.customer_id != customer.id:
            # Moved to another customer (a merge) between the two reads.
            raise DomainError("CONFLICT", "The gift card changed meanwhile; retry.", ["giftCardId"])
        if not card.is_active:
            raise DomainError("NOT_ALLOWED", "The gift card is already inactive.", ["giftCardId"])
        before = _label(card)
        session.add(
            GiftCardEntry(
                gift_card_id=card.id,
                amount=-card.balance,
                balance_after=Decimal("0.00"),
                reason=f"{DEACTIVATED}: {reason}" if reason else DEACTIVATED,
                **caller.actor.columns(),
            )
        )
        card.balance = Decimal("0.00")
        card.is_active = False
        card.deactivated_at = datetime.now(UTC)
        return changed(
            GiftCardResult(customer.id, card),
            "GIFT_CARD_DEACTIVATED",
            f"Gift card …{card.code[-4:]} deactivated" + (f": {reason}" if reason else ""),
            [change("giftCards", before, _label(card))],
        )

    async def work(session: AsyncSession) -> GiftCardResult:
        owner_id = await session.scalar(
            select(GiftCard.customer_id).where(GiftCard.id == deactivation.gift_card_id)
        )
        if owner_id is None:
            raise DomainError("NOT_FOUND", "Gift card not found.", ["giftCardId"])
        # The owner first, then the card: the order every action on a customer takes.
        action = CustomerAction(GIFT_CARD_DEACTIVATE, caller, owner_id, field="giftCardId")
        return await act_on_locked_customer(session, action, act)

    # The caller names the card, not its owner: the key keeps the request it was stored
    # with, around the whole transaction, so keys stored before still replay.
    key = deactivation.idempotency_key
    return await in_transaction(
        sessions, once(caller, GIFT_CARD_DEACTIVATE, key, request, work, _CARD_KEPT)
    )


_CARD_KEPT = of_customer_row(GiftCard, "gift_card_id", "gift_card", GiftCardResult)
