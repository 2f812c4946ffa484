"""The customer's activity log: creation, verification, edits, status changes and more.

Generators of other history (notes, points adjustments, gift cards) hand in the events
their actions would have written; this module adds the customer record's own events and
turns them all into rows in time order. `changes[].field` uses the GraphQL field names
(`lastName`, `dateOfBirth`), the names a client reading the log knows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from custgraph.seed.actors import ERP_CONNECTOR, Actor
from custgraph.seed.batch import RowBatch
from custgraph.seed.context import SeedContext
from custgraph.seed.customers import CustomerProfile
from custgraph.seed.phones import mobile_number

CUSTOMER_CREATED = "CUSTOMER_CREATED"
CUSTOMER_UPDATED = "CUSTOMER_UPDATED"
EMAIL_VERIFIED = "EMAIL_VERIFIED"
STATUS_CHANGED = "STATUS_CHANGED"
SALES_REP_ASSIGNED = "SALES_REP_ASSIGNED"
NOTE_ADDED = "NOTE_ADDED"
POINTS_ADJUSTED = "POINTS_ADJUSTED"
CREDIT_ADJUSTED = "CREDIT_ADJUSTED"
GIFT_CARD_ISSUED = "GIFT_CARD_ISSUED"
GIFT_CARD_DEACTIVATED = "GIFT_CARD_DEACTIVATED"

_STATUS_MESSAGES = {
    "BLOCKED": ("Blocked after repeated chargebacks", "Blocked: suspected fraud"),
    "INACTIVE": ("Deactivated at the customer's request", "Deactivated: no activity"),
    "DISABLED": ("Disabled for good: account closed", "Disabled after a legal request"),
}
_EDITABLE_FIELDS = ("phone", "last_name", "city", "company", "date_of_birth")


@dataclass(frozen=True, slots=True)
class EventDraft:
    at: datetime
    type: str
    message: str
    actor: Actor
    changes: list[dict[str, Any]] = field(default_factory=list)


def _change(field_name: str, old: object, new: object) -> dict[str, Any]:
    return {"field": field_name, "old": old, "new": new}


def _update(ctx: SeedContext, profile: CustomerProfile, field_name: str) -> dict[str, Any] | None:
    """An edit whose new value is the customer's current one, or None if it makes no sense."""
    rng = ctx.rng
    if field_name == "phone" and profile.phone:
        old_phone = mobile_number(ctx.phone_prefixes[profile.country.code], rng)
        return _change("phone", old_phone, profile.phone)
    if field_name == "last_name" and profile.gender == "FEMALE":
        old_name = rng.choice(ctx.pools[profile.country.code].last_names)
        if old_name != profile.last_name:
            return _change("lastName", old_name, profile.last_name)
    elif field_name == "city":
        old_city = rng.choice(profile.country.cities).name
        if old_city != profile.city.name:
            return _change("city", old_city, profile.city.name)
    elif field_name == "company" and profile.company:
        return _change("company", None, profile.company)
    elif field_name == "date_of_birth" and profile.fields["date_of_birth"] is not None:
        return _change("dateOfBirth", None, profile.fields["date_of_birth"].isoformat())
    return None


def record_events(
    ctx: SeedContext, profile: CustomerProfile, last_order_at: datetime | None
) -> list[EventDraft]:
    """The events of the customer record itself: created, verified, edited, status, sales rep."""
    rng = ctx.rng
    staff = rng.choice(ctx.staff).actor
    if profile.external_id is not None:
        creator, message = ERP_CONNECTOR, "Imported from the ERP"
    elif ctx.chance(0.75):
        creator, message = profile.actor, "Registered in the shop"
    else:
        creator, message = staff, "Created in the back office"
    drafts = [EventDraft(profile.registered_at, CUSTOMER_CREATED, message, creator)]
    if profile.email_verified:
        verified_at = ctx.soon_after(profile.registered_at, 2 * 86400)
        drafts.append(
            EventDraft(verified_at, EMAIL_VERIFIED, "Email address verified", profile.actor)
        )
    field_names = rng.sample(
        _EDITABLE_FIELDS, rng.choices((0, 1, 2, 3), weights=(45, 35, 15, 5))[0]
    )
    for field_name in field_names:
        change = _update(ctx, profile, field_name)
        if change is not None:
            editor = profile.actor if ctx.chance(0.6) else rng.choice(ctx.staff).actor
            drafts.append(
                EventDraft(
                    ctx.moment(profile.registered_at),
                    CUSTOMER_UPDATED,
                    "Profile updated",
                    editor,
                    [change],
                )
            )
    if profile.sales_rep is not None:
        rep = profile.sales_rep
        drafts.append(
            EventDraft(
                ctx.moment(profile.registered_at),
                SALES_REP_ASSIGNED,
                f"Sales rep {rep.first_name} {rep.last_name} assigned",
                staff,
                [_change("salesRep", None, rep.id)],
            )
        )
    if profile.status in _STATUS_MESSAGES:
        # Blocked or closed accounts stopped ordering, so the change follows the last order.
        drafts.append(
            EventDraft(
                ctx.moment(last_order_at or profile.registered_at),
                STATUS_CHANGED,
                rng.choice(_STATUS_MESSAGES[profile.status]),
                staff,
                [_change("status", "ACTIVE", profile.status)],
            )
        )
    return drafts


def add_event_rows(
    ctx: SeedContext, profile: CustomerProfile, drafts: list[EventDraft], batch: RowBatch
) -> datetime:
    """Write the events oldest first (ids follow time) and return the newest one's time."""
    drafts = sorted(drafts, key=lambda draft: draft.at)
    for draft in drafts:
        batch.customer_events.append(
            {
                "id": ctx.ids.take("customer_events"),
                "customer_id": profile.id,
                "type": draft.type,
                "message": draft.message,
                "changes": draft.changes,
                "request_id": f"{ctx.rng.getrandbits(64):016x}",
                "created_at": draft.at,
                **draft.actor.columns(),
            }
        )
    return drafts[-1].at
