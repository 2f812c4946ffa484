"""Staff notes on the customer record, each also logged as an event."""

from __future__ import annotations

from custgraph.seed.batch import RowBatch
from custgraph.seed.catalog import Product
from custgraph.seed.context import SeedContext
from custgraph.seed.customers import CustomerProfile
from custgraph.seed.events import NOTE_ADDED, EventDraft
from custgraph.seed.orders import PlacedOrder

NOTE_COUNTS = (0, 1, 2, 3, 4, 5, 6, 7, 8)
NOTE_COUNT_WEIGHTS = (55, 18, 10, 6, 4, 3, 2, 1, 1)
_ANY_CUSTOMER = (
    "Prefers delivery after 5 pm; the concierge accepts parcels.",
    "Asked to be called rather than emailed.",
    "Complained about packaging waste; suggested the eco shipping option.",
    "Requested a copy of the last invoice by email.",
    "Called about a missing return label; sent a new one.",
    "Interested in {product}; let them know when it is back in stock.",
    "Very friendly on the phone, happy with the new collection.",
    "Asked whether we ship to the Canary Islands.",
    "Reported a wrong size in the last parcel; exchange arranged.",
)
_WITH_ORDER = (
    "Called about the delivery of {order}; promised a callback tomorrow.",
    "Parcel for {order} arrived damaged; photos received, replacement sent.",
    "Wants to combine {order} with the next shipment.",
)
_B2B = (
    "Annual framework agreement up for renewal in Q{quarter}.",
    "Purchasing asked for a quote for 50 units of {product}.",
    "Invoices must quote the purchase order number.",
    "Deliveries to the loading dock only, Monday to Thursday.",
    "Payment reminder sent; promised to pay by end of month.",
)


def _body(
    ctx: SeedContext, profile: CustomerProfile, orders: list[PlacedOrder], product: Product
) -> str:
    rng = ctx.rng
    templates: tuple[str, ...] = _ANY_CUSTOMER
    if orders and ctx.chance(0.3):
        templates = _WITH_ORDER
    elif profile.is_b2b and ctx.chance(0.5):
        templates = _B2B
    return rng.choice(templates).format(
        order=rng.choice(orders).reference if orders else "",
        product=product.name,
        quarter=rng.randint(1, 4),
    )


def draw_notes(
    ctx: SeedContext,
    profile: CustomerProfile,
    orders: list[PlacedOrder],
    batch: RowBatch,
    events: list[EventDraft],
) -> None:
    """Append up to eight notes, mostly by the customer's sales rep when they have one."""
    rng = ctx.rng
    count = rng.choices(NOTE_COUNTS, weights=NOTE_COUNT_WEIGHTS)[0]
    created = sorted(ctx.moment(profile.registered_at) for _ in range(count))
    for created_at in created:
        author = profile.sales_rep if profile.sales_rep and ctx.chance(0.7) else None
        actor = (author or rng.choice(ctx.staff)).actor
        body = _body(ctx, profile, orders, rng.choice(ctx.products))
        batch.notes.append(
            {
                "id": ctx.ids.take("notes"),
                "customer_id": profile.id,
                "body": body,
                "created_at": created_at,
                "updated_at": ctx.moment(created_at) if ctx.chance(0.1) else created_at,
                **actor.columns(),
            }
        )
        events.append(EventDraft(created_at, NOTE_ADDED, "Note added", actor))
