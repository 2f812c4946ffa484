"""Orders and what holds value: points and credit ledgers, gift cards."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from custgraph.db.models.actor import ActorColumns
from custgraph.db.models.base import Base, utcnow
from custgraph.db.types import BigIntId, Cents, UTCDateTime

ORDER_STATES = ("NEW", "PAID", "SHIPPED", "DELIVERED", "CANCELLED", "REFUNDED")


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        Index("ix_orders_customer_id_placed_at_id", "customer_id", "placed_at", "id"),
        CheckConstraint(
            "state IN (" + ", ".join(repr(s) for s in ORDER_STATES) + ")", name="state"
        ),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    state: Mapped[str] = mapped_column(String(16))
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    grand_total: Mapped[Decimal] = mapped_column(Cents)
    currency: Mapped[str] = mapped_column(String(3))
    item_count: Mapped[int] = mapped_column(Integer)


class OrderLine(Base):
    __tablename__ = "order_lines"
    __table_args__ = (Index("ix_order_lines_order_id", "order_id"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    sku: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[Decimal] = mapped_column(Cents)
    total: Mapped[Decimal] = mapped_column(Cents)


class PointsEntry(ActorColumns, Base):
    """One movement of loyalty points; append-only."""

    __tablename__ = "points_entries"
    __table_args__ = (
        Index("ix_points_entries_customer_id_created_at_id", "customer_id", "created_at", "id"),
        CheckConstraint("balance_after >= 0", name="balance_after_non_negative"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    delta: Mapped[int] = mapped_column(Integer)
    balance_after: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(500))
    source: Mapped[str] = mapped_column(String(32), default="ADJUSTMENT")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CreditEntry(ActorColumns, Base):
    """One movement of store credit; append-only."""

    __tablename__ = "credit_entries"
    __table_args__ = (
        Index("ix_credit_entries_customer_id_created_at_id", "customer_id", "created_at", "id"),
        CheckConstraint("balance_after >= 0", name="balance_after_non_negative"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    amount: Mapped[Decimal] = mapped_column(Cents)
    balance_after: Mapped[Decimal] = mapped_column(Cents)
    currency: Mapped[str] = mapped_column(String(3))
    reason: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class GiftCard(Base):
    __tablename__ = "gift_cards"
    __table_args__ = (
        Index("ix_gift_cards_customer_id", "customer_id"),
        CheckConstraint("balance >= 0", name="balance_non_negative"),
        CheckConstraint("balance <= initial_balance", name="balance_within_initial"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(32), unique=True)
    initial_balance: Mapped[Decimal] = mapped_column(Cents)
    balance: Mapped[Decimal] = mapped_column(Cents)
    currency: Mapped[str] = mapped_column(String(3))
    expires_on: Mapped[date | None] = mapped_column(Date)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    message: Mapped[str | None] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class GiftCardEntry(ActorColumns, Base):
    """One movement of a gift card's balance (issue, redemption, deactivation); append-only."""

    __tablename__ = "gift_card_entries"
    __table_args__ = (
        Index("ix_gift_card_entries_gift_card_id", "gift_card_id"),
        CheckConstraint("balance_after >= 0", name="balance_after_non_negative"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    gift_card_id: Mapped[int] = mapped_column(ForeignKey("gift_cards.id", ondelete="CASCADE"))
    amount: Mapped[Decimal] = mapped_column(Cents)
    balance_after: Mapped[Decimal] = mapped_column(Cents)
    reason: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
