"""Orders and their lines, in states that fit how long ago they were placed.

Every order counts towards the customer's `order_count` and `total_revenue`, cancelled
and refunded ones included: the columns are lifetime gross figures, which keeps them
equal to `count(*)` and `sum(grand_total)` over the customer's orders.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from custgraph.seed.batch import RowBatch
from custgraph.seed.context import SeedContext
from custgraph.seed.customers import CustomerProfile

MAX_ORDERS = 25
MEAN_ORDERS_CONSUMER = 4.5
MEAN_ORDERS_B2B = 8.0
LINE_COUNTS = (1, 2, 3, 4, 5)
LINE_COUNT_WEIGHTS = (40, 25, 15, 12, 8)
CONSUMER_QUANTITIES = (1, 2, 3, 4)
CONSUMER_QUANTITY_WEIGHTS = (70, 20, 7, 3)
B2B_QUANTITIES = (1, 2, 3, 5, 10, 12, 20, 24, 50)
B2B_QUANTITY_WEIGHTS = (20, 15, 10, 15, 15, 10, 6, 5, 4)

# (orders younger than this many days, states, weights): fresh orders are still moving.
_STATES_BY_AGE: tuple[tuple[float, tuple[str, ...], tuple[int, ...]], ...] = (
    (2, ("NEW", "PAID", "CANCELLED"), (40, 45, 15)),
    (7, ("PAID", "SHIPPED", "DELIVERED", "CANCELLED"), (20, 60, 12, 8)),
    (30, ("SHIPPED", "DELIVERED", "CANCELLED", "REFUNDED"), (10, 78, 6, 6)),
    (float("inf"), ("DELIVERED", "CANCELLED", "REFUNDED"), (86, 7, 7)),
)
# States in which the customer has paid and keeps the goods, so the order earns points.
EARNING_STATES = frozenset({"PAID", "SHIPPED", "DELIVERED"})


@dataclass(frozen=True, slots=True)
class PlacedOrder:
    id: int
    reference: str
    state: str
    placed_at: datetime
    total_cents: int


def _state(ctx: SeedContext, placed_at: datetime) -> str:
    age_days = (ctx.now - placed_at) / timedelta(days=1)
    for max_age, states, weights in _STATES_BY_AGE:
        if age_days < max_age:
            return ctx.rng.choices(states, weights=weights)[0]
    raise AssertionError("the last age bracket is unbounded")


def draw_orders(ctx: SeedContext, profile: CustomerProfile, batch: RowBatch) -> list[PlacedOrder]:
    """Up to 25 orders with one to five lines each, oldest first, appended to the batch."""
    rng = ctx.rng
    # Unverified customers have not been able to check out yet.
    if profile.status == "UNVERIFIED":
        return []
    mean = MEAN_ORDERS_B2B if profile.is_b2b else MEAN_ORDERS_CONSUMER
    count = min(MAX_ORDERS, int(rng.expovariate(1 / mean)))
    placed = sorted(ctx.moment(profile.registered_at) for _ in range(count))
    quantities = B2B_QUANTITIES if profile.is_b2b else CONSUMER_QUANTITIES
    quantity_weights = B2B_QUANTITY_WEIGHTS if profile.is_b2b else CONSUMER_QUANTITY_WEIGHTS
    orders: list[PlacedOrder] = []
    for placed_at in placed:
        order_id = ctx.ids.take("orders")
        line_count = rng.choices(LINE_COUNTS, weights=LINE_COUNT_WEIGHTS)[0]
        total_cents = 0
        item_count = 0
        for product in rng.sample(ctx.products, line_count):
            quantity = rng.choices(quantities, weights=quantity_weights)[0]
            total_cents += product.unit_cents * quantity
            item_count += quantity
            batch.order_lines.append(
                {
                    "id": ctx.ids.take("order_lines"),
                    "order_id": order_id,
                    "sku": product.sku,
                    "name": product.name,
                    "quantity": quantity,
                    "unit_price": product.unit_price,
                    "total": product.unit_price * quantity,
                }
            )
        order = PlacedOrder(
            id=order_id,
            reference=f"ORD-{order_id:08d}",
            state=_state(ctx, placed_at),
            placed_at=placed_at,
            total_cents=total_cents,
        )
        orders.append(order)
        batch.orders.append(
            {
                "id": order.id,
                "customer_id": profile.id,
                "reference": order.reference,
                "state": order.state,
                "placed_at": placed_at,
                "grand_total": Decimal(total_cents).scaleb(-2),
                "currency": ctx.currency,
                "item_count": item_count,
            }
        )
    return orders
