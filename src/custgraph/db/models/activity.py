"""What happened around a customer: notes, the activity log, messages sent and to send."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from custgraph.db.models.actor import ActorColumns
from custgraph.db.models.base import Base, utcnow
from custgraph.db.types import BigIntId, Json, UTCDateTime

CHANNELS = ("EMAIL", "SMS", "PUSH")
DELIVERY_STATES = ("PENDING", "SENT", "FAILED")
# An outbox row is also SENDING while a worker holds its claim.
OUTBOX_STATES = ("PENDING", "SENDING", "SENT", "FAILED")


class Note(ActorColumns, Base):
    __tablename__ = "notes"
    __table_args__ = (
        Index("ix_notes_customer_id_created_at_id", "customer_id", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CustomerEvent(ActorColumns, Base):
    """One entry of the activity log, written in the transaction of the change it records.

    `changes` is a list of `{"field", "old", "new"}`; PII fields are masked when read by
    callers without the PII permission.
    """

    __tablename__ = "customer_events"
    __table_args__ = (
        Index("ix_customer_events_customer_id_created_at_id", "customer_id", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(64))
    message: Mapped[str] = mapped_column(String(500), default="")
    changes: Mapped[list[dict[str, Any]]] = mapped_column(Json, default=list)
    request_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Notification(Base):
    """A message to a customer and its delivery state, as the customer's record shows it."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_customer_id_created_at_id", "customer_id", "created_at", "id"),
        CheckConstraint(
            "channel IN (" + ", ".join(repr(c) for c in CHANNELS) + ")", name="channel"
        ),
        CheckConstraint(
            "status IN (" + ", ".join(repr(s) for s in DELIVERY_STATES) + ")", name="status"
        ),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(8))
    kind: Mapped[str] = mapped_column(String(64))
    recipient: Mapped[str | None] = mapped_column(String(254))
    subject: Mapped[str | None] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(16), default="PENDING")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class OutboxMessage(Base):
    """A message written in a mutation's transaction and delivered afterwards by a worker."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_status_next_attempt_at", "status", "next_attempt_at"),
        CheckConstraint(
            "status IN (" + ", ".join(repr(s) for s in OUTBOX_STATES) + ")", name="status"
        ),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    # A message goes with its notification: deleting a customer must not leave
    # messages to them behind that would still be sent.
    notification_id: Mapped[int | None] = mapped_column(
        ForeignKey("notifications.id", ondelete="CASCADE")
    )
    channel: Mapped[str] = mapped_column(String(8))
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300), default="")
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="PENDING")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
