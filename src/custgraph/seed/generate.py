"""One customer with their whole history, drawn in a fixed order from the run's random stream."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from custgraph.seed.addresses import draw_addresses
from custgraph.seed.batch import RowBatch
from custgraph.seed.context import SeedContext
from custgraph.seed.credit import draw_credit
from custgraph.seed.custom_fields import draw_custom_field_values
from custgraph.seed.customers import assign_level_and_tags, customer_row, draw_profile
from custgraph.seed.events import EventDraft, add_event_rows, record_events
from custgraph.seed.gift_cards import draw_gift_cards
from custgraph.seed.memberships import draw_memberships
from custgraph.seed.notes import draw_notes
from custgraph.seed.notifications import draw_notifications
from custgraph.seed.orders import draw_orders
from custgraph.seed.points import draw_points


def generate_customer(ctx: SeedContext, batch: RowBatch, registered_at: datetime) -> None:
    """Append a new customer and everything that hangs off them to the batch."""
    profile = draw_profile(ctx, ctx.ids.take("customers"), registered_at)
    batch.addresses.extend(draw_addresses(ctx, profile))
    orders = draw_orders(ctx, profile, batch)
    revenue_cents = sum(order.total_cents for order in orders)
    last_order_at = orders[-1].placed_at if orders else None
    assign_level_and_tags(
        ctx,
        profile,
        order_count=len(orders),
        revenue_cents=revenue_cents,
        last_order_at=last_order_at,
    )
    events: list[EventDraft] = record_events(ctx, profile, last_order_at)
    points_balance = draw_points(ctx, profile, orders, batch, events)
    credit_balance = draw_credit(ctx, profile, orders, batch, events)
    cards = draw_gift_cards(ctx, profile, batch, events)
    draw_memberships(ctx, profile, batch)
    draw_custom_field_values(ctx, profile, batch)
    draw_notes(ctx, profile, orders, batch, events)
    last_event_at = add_event_rows(ctx, profile, events, batch)
    draw_notifications(ctx, profile, orders, cards, batch)
    batch.customers.append(
        customer_row(
            profile,
            # Every change to the record logs an event, so the newest event dates the row.
            updated_at=max(last_event_at, profile.registered_at),
            order_count=len(orders),
            revenue=Decimal(revenue_cents).scaleb(-2),
            points_balance=points_balance,
            credit_balance=credit_balance,
        )
    )
