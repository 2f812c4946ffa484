"""Webhooks: partners' subscriptions to the change feed, and what is delivered to them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from custgraph.db.models.base import Base, utcnow
from custgraph.db.types import BigIntId, Json, UTCDateTime

# A delivery is also SENDING while a worker holds its claim (as outbox rows are).
WEBHOOK_DELIVERY_STATES = ("PENDING", "SENDING", "SUCCEEDED", "FAILED")
# What a subscription's log records: each attempt, and the subscription being disabled.
WEBHOOK_LOG_KINDS = ("ATTEMPT", "DISABLED")


class WebhookSubscription(Base):
    """Where to POST which change types, for whom (a staff user or an API key).

    The signing secret is not stored: it is derived from `CUSTGRAPH_SECRET_KEY` and
    `secret_salt` (auth/webhook_secrets.py), so the database alone never holds a key that
    signs. `consecutive_failures` counts failed attempts since the last success, across
    the subscription's deliveries; too many disable it (`disabled_reason`, `disabled_at`).
    """

    __tablename__ = "webhook_subscriptions"
    __table_args__ = (
        CheckConstraint("(owner_staff_id IS NULL) <> (owner_api_key_id IS NULL)", name="one_owner"),
        Index("ix_webhook_subscriptions_owner_api_key_id", "owner_api_key_id"),
        Index("ix_webhook_subscriptions_owner_staff_id", "owner_staff_id"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    event_types: Mapped[list[str]] = mapped_column(Json, default=list)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    secret_salt: Mapped[str] = mapped_column(String(64))
    owner_staff_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="CASCADE")
    )
    owner_api_key_id: Mapped[int | None] = mapped_column(
        ForeignKey("api_keys.id", ondelete="CASCADE")
    )
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    disabled_reason: Mapped[str | None] = mapped_column(String(500))
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WebhookDelivery(Base):
    """One change for one subscription: its payload, frozen when the change committed, and
    where its delivery stands.

    Written in the transaction of the change (domain/webhook_outbox.py), claimed and sent
    by the webhook worker (custgraph/webhooks/) as outbox rows are: while SENDING,
    `next_attempt_at` is when the claim lapses. `max_attempts` is None while the settings'
    number applies; a manual redelivery of a finished delivery allows one attempt more.
    """

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("subscription_id", "change_sequence"),
        Index("ix_webhook_deliveries_state_next_attempt_at", "state", "next_attempt_at"),
        Index(
            "ix_webhook_deliveries_subscription_id_created_at_id",
            "subscription_id",
            "created_at",
            "id",
        ),
        CheckConstraint(
            "state IN (" + ", ".join(repr(s) for s in WEBHOOK_DELIVERY_STATES) + ")", name="state"
        ),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    # The payload's `id` and the X-Custgraph-Delivery header: the same on every attempt.
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_subscriptions.id", ondelete="CASCADE")
    )
    change_sequence: Mapped[int] = mapped_column(BigInteger)
    event_type: Mapped[str] = mapped_column(String(40))
    customer_id: Mapped[int] = mapped_column(BigInteger)
    # The JSON body exactly as it is POSTed, every attempt alike.
    body: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default="PENDING")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int | None] = mapped_column(Integer)
    # The next attempt was asked for by hand (webhookDeliveryRetry), as its log entry says.
    manual: Mapped[bool] = mapped_column(Boolean, default=False)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_latency_ms: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(1000))
    succeeded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WebhookLogEntry(Base):
    """A subscription's log: every delivery attempt (status code, latency, error) and the
    subscription being disabled. `delivery_id` has no foreign key: deliveries go only
    with their subscription, which takes its log along."""

    __tablename__ = "webhook_log"
    __table_args__ = (
        Index(
            "ix_webhook_log_subscription_id_created_at_id", "subscription_id", "created_at", "id"
        ),
        CheckConstraint(
            "kind IN (" + ", ".join(repr(k) for k in WEBHOOK_LOG_KINDS) + ")", name="kind"
        ),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_subscriptions.id", ondelete="CASCADE")
    )
    kind: Mapped[str] = mapped_column(String(16))
    delivery_id: Mapped[int | None] = mapped_column(BigInteger)
    event_type: Mapped[str | None] = mapped_column(String(40))
    change_sequence: Mapped[int | None] = mapped_column(BigInteger)
    attempt: Mapped[int | None] = mapped_column(Integer)
    manual: Mapped[bool] = mapped_column(Boolean, default=False)
    succeeded: Mapped[bool | None] = mapped_column(Boolean)
    status_code: Mapped[int | None] = mapped_column(Integer)
    latency_ms: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(1000))
    message: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
