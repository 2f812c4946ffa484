"""The change feed: every change to a customer, numbered in the order it was committed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from custgraph.db.models.base import Base, utcnow
from custgraph.db.types import Json, UTCDateTime


class CustomerChange(Base):
    """One change, written in the transaction that made it (domain/changes.py).

    `sequence` comes from `change_sequence`, taken as the transaction commits, so a
    reader that has seen a sequence number has seen every smaller one: a partner that
    pages by it catches up exactly once, in order. No foreign key: a deleted customer's
    changes stay in the feed.
    """

    __tablename__ = "customer_changes"
    __table_args__ = (Index("ix_customer_changes_customer_id_sequence", "customer_id", "sequence"),)

    sequence: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    type: Mapped[str] = mapped_column(String(40))
    customer_id: Mapped[int] = mapped_column(BigInteger)
    # The customer's version once the change was made; None when it was deleted.
    customer_version: Mapped[int | None] = mapped_column(Integer)
    fields: Mapped[list[str]] = mapped_column(Json, default=list)
    # Details without personal data (statuses, amounts, ids): see domain/changes.py.
    details: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    actor_type: Mapped[str] = mapped_column(String(16), default="SYSTEM")
    actor_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    request_id: Mapped[str | None] = mapped_column(String(64))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ChangeSequence(Base):
    """The last sequence number given out: one row, locked by each committing writer."""

    __tablename__ = "change_sequence"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    value: Mapped[int] = mapped_column(BigInteger)


class ChangeSinkPosition(Base):
    """How far a sink (a message broker the feed is published to) has got in the feed."""

    __tablename__ = "change_sink_positions"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_sequence: Mapped[int] = mapped_column(BigInteger, default=0)
