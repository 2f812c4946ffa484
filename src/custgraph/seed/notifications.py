"""Messages sent to the customer by email, SMS and push, as their record lists them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from custgraph.seed.batch import RowBatch
from custgraph.seed.context import SeedContext
from custgraph.seed.customers import CustomerProfile
from custgraph.seed.gift_cards import IssuedCard
from custgraph.seed.orders import PlacedOrder

FAILURE_RATE = 0.06
MAX_ATTEMPTS = 3
_FAILURES = {
    "EMAIL": ("550 5.1.1 Mailbox unavailable", "552 5.2.2 Mailbox full"),
    "SMS": ("Carrier rejected the message: subscriber unreachable",),
    "PUSH": ("Device token is no longer registered",),
}


@dataclass(frozen=True, slots=True)
class _Message:
    at: datetime
    channel: str
    kind: str
    subject: str


def _messages(
    ctx: SeedContext, profile: CustomerProfile, orders: list[PlacedOrder], cards: list[IssuedCard]
) -> list[_Message]:
    rng = ctx.rng
    registered = profile.registered_at
    messages = [
        _Message(
            ctx.soon_after(registered, 60), "EMAIL", "EMAIL_VERIFICATION", "Confirm your email"
        )
    ]
    if profile.email_verified:
        messages.append(
            _Message(ctx.soon_after(registered, 86400), "EMAIL", "WELCOME", "Welcome to our shop")
        )
    for card in cards:
        messages.append(
            _Message(
                card.issued_at, "EMAIL", "GIFT_CARD", f"Your gift card ending {card.code[-4:]}"
            )
        )
    shipped = [order for order in orders if order.state in ("SHIPPED", "DELIVERED")]
    if shipped and profile.phone and ctx.chance(0.3):
        order = rng.choice(shipped)
        messages.append(
            _Message(
                ctx.soon_after(order.placed_at, 3 * 86400),
                "SMS",
                "ORDER_SHIPPED",
                f"Order {order.reference} is on its way",
            )
        )
    if orders and ctx.chance(0.25):
        messages.append(
            _Message(ctx.moment(registered), "PUSH", "POINTS_EARNED", "You have new loyalty points")
        )
    if ctx.chance(0.05):
        messages.append(
            _Message(ctx.moment(registered), "EMAIL", "PASSWORD_RESET", "Reset your password")
        )
    return messages


def draw_notifications(
    ctx: SeedContext,
    profile: CustomerProfile,
    orders: list[PlacedOrder],
    cards: list[IssuedCard],
    batch: RowBatch,
) -> None:
    """Append the notification log: mostly delivered, a few failed after retries."""
    rng = ctx.rng
    for message in sorted(_messages(ctx, profile, orders, cards), key=lambda m: m.at):
        failed = ctx.chance(FAILURE_RATE)
        recipient = {"EMAIL": profile.email, "SMS": profile.phone, "PUSH": None}[message.channel]
        batch.notifications.append(
            {
                "id": ctx.ids.take("notifications"),
                "customer_id": profile.id,
                "channel": message.channel,
                "kind": message.kind,
                "recipient": recipient,
                "subject": message.subject,
                "status": "FAILED" if failed else "SENT",
                "attempts": MAX_ATTEMPTS if failed else rng.choices((1, 2), weights=(95, 5))[0],
                "error": rng.choice(_FAILURES[message.channel]) if failed else None,
                "created_at": message.at,
                "sent_at": None if failed else ctx.soon_after(message.at, 30),
            }
        )
