"""Gift cards and their balance ledger: issue, partial redemptions, sometimes deactivation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from custgraph.seed.actors import SYSTEM
from custgraph.seed.batch import RowBatch
from custgraph.seed.context import SeedContext
from custgraph.seed.customers import CustomerProfile
from custgraph.seed.events import GIFT_CARD_DEACTIVATED, GIFT_CARD_ISSUED, EventDraft
from custgraph.seed.ledger import Movement, Settled, settle

CARD_SHARE = 0.30
INITIAL_CENTS = tuple(units * 100 for units in (25, 50, 75, 100, 150, 200, 250))
REDEMPTION_CENTS = (1000, 1990, 2500, 3450, 5000, 7999, 12000)
# Unambiguous when read aloud or typed from a printed card: no 0/O or 1/I.
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 16
MESSAGES = (
    "Happy birthday!",
    "Thank you for being a loyal customer.",
    "Merry Christmas and a happy new year!",
    "Sorry for the trouble with your last order.",
    "Congratulations!",
)
DEACTIVATION_REASONS = ("Deactivated: reported lost", "Deactivated: issued by mistake")


@dataclass(frozen=True, slots=True)
class IssuedCard:
    code: str
    initial_cents: int
    issued_at: datetime


def _code(ctx: SeedContext) -> str:
    # Codes are secrets, so they are random rather than derived from the id; the set makes
    # them unique within a run and the run-specific random stream across runs.
    while True:
        code = "".join(ctx.rng.choices(CODE_ALPHABET, k=CODE_LENGTH))
        if code not in ctx.gift_card_codes:
            ctx.gift_card_codes.add(code)
            return code


def _money(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


def draw_gift_cards(
    ctx: SeedContext, profile: CustomerProfile, batch: RowBatch, events: list[EventDraft]
) -> list[IssuedCard]:
    """Append about 30% of customers' gift cards with their entries; return what was issued."""
    rng = ctx.rng
    if not (profile.email_verified and ctx.chance(CARD_SHARE)):
        return []
    issued: list[IssuedCard] = []
    for _ in range(1 if ctx.chance(0.85) else 2):
        card_id = ctx.ids.take("gift_cards")
        issued_at = ctx.moment(profile.registered_at)
        initial = rng.choice(INITIAL_CENTS)
        expires_on: date | None = None
        usable_until = ctx.now
        if ctx.chance(0.8):
            expires_on = issued_at.date() + timedelta(days=365 * rng.randint(1, 3))
            usable_until = min(ctx.now, datetime.combine(expires_on, time(23, 59, 59), UTC))
        issuer = rng.choice(ctx.staff).actor if ctx.chance(0.6) else SYSTEM
        issue_reason = "Gift card issued" if issuer.type == "STAFF" else "Gift card purchased"
        movements = [Movement(issued_at, initial, issue_reason, issuer)]
        for _ in range(rng.choices((0, 1, 2, 3), weights=(35, 35, 20, 10))[0]):
            movements.append(
                Movement(
                    ctx.moment(issued_at, usable_until),
                    -rng.choice(REDEMPTION_CENTS),
                    "Redeemed at checkout",
                    profile.actor,
                )
            )
        entries = settle(movements)
        balance = entries[-1].balance_after
        deactivated_at: datetime | None = None
        if ctx.chance(0.08):
            deactivated_at = ctx.moment(entries[-1].movement.at)
            staff = rng.choice(ctx.staff).actor
            reason = rng.choice(DEACTIVATION_REASONS)
            # The remaining value is written off, so the ledger still explains the balance.
            if balance > 0:
                entries.append(
                    Settled(Movement(deactivated_at, -balance, reason, staff), -balance, 0)
                )
                balance = 0
            events.append(EventDraft(deactivated_at, GIFT_CARD_DEACTIVATED, reason, staff))
        code = _code(ctx)
        batch.gift_cards.append(
            {
                "id": card_id,
                "customer_id": profile.id,
                "code": code,
                "initial_balance": _money(initial),
                "balance": _money(balance),
                "currency": ctx.currency,
                "expires_on": expires_on,
                "is_active": deactivated_at is None,
                "message": rng.choice(MESSAGES) if ctx.chance(0.4) else None,
                "created_at": issued_at,
                "deactivated_at": deactivated_at,
            }
        )
        for entry in entries:
            batch.gift_card_entries.append(
                {
                    "id": ctx.ids.take("gift_card_entries"),
                    "gift_card_id": card_id,
                    "amount": _money(entry.amount),
                    "balance_after": _money(entry.balance_after),
                    "reason": entry.movement.reason,
                    "created_at": entry.movement.at,
                    **entry.movement.actor.columns(),
                }
            )
        if issuer.type == "STAFF":
            events.append(
                EventDraft(
                    issued_at,
                    GIFT_CARD_ISSUED,
                    f"Gift card ending {code[-4:]} issued over {_money(initial)} {ctx.currency}",
                    issuer,
                )
            )
        issued.append(IssuedCard(code, initial, issued_at))
    return issued
