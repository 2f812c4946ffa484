"""Bookkeeping shared by many actions: idempotency records and one-time action tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Double, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from custgraph.db.models.base import Base, utcnow
from custgraph.db.types import BigIntId, Json, UTCDateTime


class IdempotencyRecord(Base):
    """The first result of a mutation called with an idempotency key, per caller."""

    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("principal_key", "operation", "key"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    principal_key: Mapped[str] = mapped_column(String(64))
    operation: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    response: Mapped[dict[str, Any]] = mapped_column(Json)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ActionToken(Base):
    """A one-time token sent by email (verify email, reset or set password); stored hashed."""

    __tablename__ = "action_tokens"
    __table_args__ = (Index("ix_action_tokens_customer_id", "customer_id"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(32))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str | None] = mapped_column(String(254))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SignInFailure(Base):
    """A failed sign-in, kept for a short window to slow down guessing.

    `key` is `email:<address>` or `address:<client address>`, so an attacker is slowed
    per account and per origin alike, whether or not the account exists.
    """

    __tablename__ = "sign_in_failures"
    __table_args__ = (Index("ix_sign_in_failures_key_created_at", "key", "created_at"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    key: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RateLimitBucket(Base):
    """A caller's leaky bucket of query cost points (`key` is `Principal.key`).

    `updated_at` is seconds since the epoch as a float, so the leak is plain arithmetic
    in the one upsert statement on SQLite and PostgreSQL alike.
    """

    __tablename__ = "rate_limit_buckets"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    level: Mapped[float] = mapped_column(Double)
    updated_at: Mapped[float] = mapped_column(Double)
