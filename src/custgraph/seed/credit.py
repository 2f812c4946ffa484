"""The store credit ledger: refunds and goodwill credited by staff, credit spent at checkout."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from custgraph.seed.actors import SYSTEM
from custgraph.seed.batch import RowBatch
from custgraph.seed.context import SeedContext
from custgraph.seed.customers import CustomerProfile
from custgraph.seed.events import CREDIT_ADJUSTED, EventDraft
from custgraph.seed.ledger import Movement, settle
from custgraph.seed.orders import PlacedOrder

GOODWILL_CENTS = (500, 1000, 1500, 2000, 2500, 5000)
GOODWILL_REASONS = (
    "Goodwill credit for a late delivery",
    "Goodwill credit: missing item",
    "Price match credit",
)
SPEND_CENTS = (1000, 2000, 2500, 5000, 10000)


def _money(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


def draw_credit(
    ctx: SeedContext,
    profile: CustomerProfile,
    orders: list[PlacedOrder],
    batch: RowBatch,
    events: list[EventDraft],
) -> Decimal:
    """Append the customer's credit entries; return the balance after the newest one."""
    rng = ctx.rng
    movements: list[Movement] = []
    for order in orders:
        if order.state == "REFUNDED" and ctx.chance(0.4):
            refunded_at = min(order.placed_at + timedelta(days=rng.randint(3, 30)), ctx.now)
            movements.append(
                Movement(
                    refunded_at,
                    order.total_cents,
                    f"Refund of order {order.reference} as store credit",
                    rng.choice(ctx.staff).actor,
                )
            )
    if profile.email_verified and ctx.chance(0.1):
        movements.append(
            Movement(
                ctx.moment(profile.registered_at),
                rng.choice(GOODWILL_CENTS),
                rng.choice(GOODWILL_REASONS),
                rng.choice(ctx.staff).actor,
            )
        )
    if not movements:
        return Decimal("0.00")
    first_credit_at = min(movement.at for movement in movements)
    for _ in range(rng.choices((0, 1, 2, 3), weights=(35, 35, 20, 10))[0]):
        movements.append(
            Movement(
                ctx.moment(first_credit_at),
                -rng.choice(SPEND_CENTS),
                "Applied at checkout",
                SYSTEM,
            )
        )
    balance = 0
    for entry in settle(movements):
        movement = entry.movement
        balance = entry.balance_after
        batch.credit_entries.append(
            {
                "id": ctx.ids.take("credit_entries"),
                "customer_id": profile.id,
                "amount": _money(entry.amount),
                "balance_after": _money(balance),
                "currency": ctx.currency,
                "reason": movement.reason,
                "created_at": movement.at,
                **movement.actor.columns(),
            }
        )
        if movement.actor.type == "STAFF":
            events.append(
                EventDraft(
                    movement.at,
                    CREDIT_ADJUSTED,
                    f"Store credit adjusted by {_money(entry.amount)} {ctx.currency}",
                    movement.actor,
                    [
                        {
                            "field": "creditBalance",
                            "old": str(_money(balance - entry.amount)),
                            "new": str(_money(balance)),
                        }
                    ],
                )
            )
    return _money(balance)
