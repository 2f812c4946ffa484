"""The loyalty points ledger: points for paid orders, promotions, staff adjustments, redemptions."""

from __future__ import annotations

from custgraph.seed.actors import SYSTEM
from custgraph.seed.batch import RowBatch
from custgraph.seed.context import SeedContext
from custgraph.seed.customers import CustomerProfile
from custgraph.seed.events import POINTS_ADJUSTED, EventDraft
from custgraph.seed.ledger import Movement, settle
from custgraph.seed.orders import EARNING_STATES, PlacedOrder

WELCOME_BONUSES = (100, 250, 500)
PROMOTIONS = ("Double points weekend", "Birthday bonus", "Product review reward")
PROMOTION_POINTS = (50, 100, 200, 300)
ADJUSTMENTS = (
    (100, "Goodwill for a delayed delivery"),
    (200, "Goodwill for a damaged parcel"),
    (50, "Points missing from an in-store purchase"),
    (-100, "Correction of a duplicate booking"),
    (-50, "Correction: points for a returned item"),
)
VOUCHER_POINTS = (500, 1000, 1500, 2000)


def draw_points(
    ctx: SeedContext,
    profile: CustomerProfile,
    orders: list[PlacedOrder],
    batch: RowBatch,
    events: list[EventDraft],
) -> int:
    """Append the customer's points entries; return the balance after the newest one."""
    rng = ctx.rng
    movements: list[Movement] = []
    if profile.email_verified and ctx.chance(0.35):
        movements.append(
            Movement(
                ctx.soon_after(profile.registered_at, 600),
                rng.choice(WELCOME_BONUSES),
                "Welcome bonus",
                SYSTEM,
                source="PROMOTION",
            )
        )
    for order in orders:
        # One point per whole currency unit, booked once the order is paid.
        earned = order.total_cents // 100
        if order.state in EARNING_STATES and earned > 0:
            movements.append(
                Movement(
                    ctx.soon_after(order.placed_at, 3600),
                    earned,
                    f"Order {order.reference}",
                    SYSTEM,
                    source="ORDER",
                )
            )
    if not movements:
        return 0
    for reason in PROMOTIONS:
        if ctx.chance(0.12):
            movements.append(
                Movement(
                    ctx.moment(profile.registered_at),
                    rng.choice(PROMOTION_POINTS),
                    reason,
                    SYSTEM,
                    source="PROMOTION",
                )
            )
    if ctx.chance(0.08):
        points, reason = rng.choice(ADJUSTMENTS)
        staff = rng.choice(ctx.staff).actor
        movements.append(Movement(ctx.moment(profile.registered_at), points, reason, staff))
    for _ in range(rng.choices((0, 1, 2, 3), weights=(50, 30, 15, 5))[0]):
        movements.append(
            Movement(
                ctx.moment(profile.registered_at),
                -rng.choice(VOUCHER_POINTS),
                "Redeemed for a voucher",
                profile.actor,
                source="REDEMPTION",
                partial=False,
            )
        )
    balance = 0
    for entry in settle(movements):
        movement = entry.movement
        balance = entry.balance_after
        batch.points_entries.append(
            {
                "id": ctx.ids.take("points_entries"),
                "customer_id": profile.id,
                "delta": entry.amount,
                "balance_after": entry.balance_after,
                "reason": movement.reason,
                "source": movement.source,
                "created_at": movement.at,
                **movement.actor.columns(),
            }
        )
        if movement.actor.type == "STAFF":
            events.append(
                EventDraft(
                    movement.at,
                    POINTS_ADJUSTED,
                    f"Points adjusted by {entry.amount:+d}: {movement.reason}",
                    movement.actor,
                    [{"field": "pointsBalance", "old": balance - entry.amount, "new": balance}],
                )
            )
    return balance
