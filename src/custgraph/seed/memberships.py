"""Loyalty and club programmes some customers have joined."""

from __future__ import annotations

from datetime import date, timedelta

from custgraph.seed.batch import RowBatch
from custgraph.seed.context import SeedContext
from custgraph.seed.customers import CustomerProfile

MEMBERSHIP_SHARE = 0.20
# (programme, tiers or None, years until it ends or None for open-ended)
CONSUMER_PROGRAMMES: tuple[tuple[str, tuple[str, ...] | None, int | None], ...] = (
    ("Customer Club", ("Member", "Plus", "Premium"), None),
    ("Friends & Family", None, None),
    ("Student Discount", None, 1),
)
B2B_PROGRAMMES: tuple[tuple[str, tuple[str, ...] | None, int | None], ...] = (
    ("Trade Partner Programme", ("Registered", "Preferred", "Strategic"), None),
    ("Customer Club", ("Member", "Plus", "Premium"), None),
)


def draw_memberships(ctx: SeedContext, profile: CustomerProfile, batch: RowBatch) -> None:
    """Append a membership for about 20% of verified customers."""
    rng = ctx.rng
    if not (profile.email_verified and ctx.chance(MEMBERSHIP_SHARE)):
        return
    programme, tiers, years = rng.choice(B2B_PROGRAMMES if profile.is_b2b else CONSUMER_PROGRAMMES)
    started_on = ctx.moment(profile.registered_at).date()
    ends_on: date | None = None
    if years is not None:
        ends_on = started_on + timedelta(days=365 * years)
    elif ctx.chance(0.1):
        # Left the programme at some point.
        ends_on = max(started_on, ctx.moment(profile.registered_at).date())
    membership_id = ctx.ids.take("memberships")
    batch.memberships.append(
        {
            "id": membership_id,
            "customer_id": profile.id,
            "program": programme,
            "tier": rng.choice(tiers) if tiers else None,
            "number": f"M-{membership_id:08d}",
            "started_on": started_on,
            "ends_on": ends_on,
            "is_active": ends_on is None or ends_on >= ctx.now.date(),
        }
    )
