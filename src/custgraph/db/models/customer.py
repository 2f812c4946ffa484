"""The customer record and what hangs directly off it: addresses, memberships, custom fields."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from custgraph.db.models.base import Base, utcnow
from custgraph.db.types import BigIntId, Cents, Json, UTCDateTime

CUSTOMER_STATUSES = ("UNVERIFIED", "ACTIVE", "BLOCKED", "INACTIVE", "DISABLED", "MERGED", "ERASED")
GENDERS = ("FEMALE", "MALE", "OTHER", "UNSPECIFIED")
CUSTOM_FIELD_TYPES = ("TEXT", "INTEGER", "DECIMAL", "DATE", "BOOLEAN")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Customer(Base):
    __tablename__ = "customers"
    __table_args__ = (
        # Case-insensitive uniqueness; erased customers have no email (NULLs never collide).
        Index("uq_customers_email_lower", func.lower(text("email")), unique=True),
        Index("ix_customers_last_name_first_name_id", "last_name", "first_name", "id"),
        Index("ix_customers_registered_at_id", "registered_at", "id"),
        Index("ix_customers_updated_at_id", "updated_at", "id"),
        Index("ix_customers_total_revenue_id", "total_revenue", "id"),
        Index("ix_customers_points_balance_id", "points_balance", "id"),
        Index("ix_customers_email_id", "email", "id"),
        Index("ix_customers_status", "status"),
        Index("ix_customers_sales_rep_id", "sales_rep_id"),
        Index("ix_customers_merged_into_id", "merged_into_id"),
        CheckConstraint(_in("status", CUSTOMER_STATUSES), name="status"),
        CheckConstraint(_in("gender", GENDERS), name="gender"),
        CheckConstraint("points_balance >= 0", name="points_balance_non_negative"),
        CheckConstraint("credit_balance >= 0", name="credit_balance_non_negative"),
        CheckConstraint("order_count >= 0", name="order_count_non_negative"),
        CheckConstraint("version >= 1", name="version_positive"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    # Identity
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    external_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    account_number: Mapped[str | None] = mapped_column(String(64))
    # Person
    salutation: Mapped[str | None] = mapped_column(String(32))
    first_name: Mapped[str] = mapped_column(String(100), default="")
    last_name: Mapped[str] = mapped_column(String(100), default="")
    email: Mapped[str | None] = mapped_column(String(254))
    email_verified: Mapped[bool] = mapped_column(Boolean, default=False)
    phone: Mapped[str | None] = mapped_column(String(20))
    company: Mapped[str | None] = mapped_column(String(200))
    gender: Mapped[str] = mapped_column(String(16), default="UNSPECIFIED")
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    locale: Mapped[str | None] = mapped_column(String(16))
    city: Mapped[str | None] = mapped_column(String(100))
    id_document_type: Mapped[str | None] = mapped_column(String(32))
    id_document_number: Mapped[str | None] = mapped_column(String(64))
    # State
    status: Mapped[str] = mapped_column(String(16), default="ACTIVE")
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    registration_code: Mapped[str | None] = mapped_column(String(64))
    referral_code: Mapped[str | None] = mapped_column(String(32), unique=True)
    mfa_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    mfa_phone: Mapped[str | None] = mapped_column(String(20))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    token_version: Mapped[int] = mapped_column(Integer, default=1)
    # Commercial
    tags: Mapped[list[str]] = mapped_column(Json, default=list)
    sales_rep_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="SET NULL")
    )
    price_list: Mapped[str | None] = mapped_column(String(64))
    discount_group: Mapped[str | None] = mapped_column(String(64))
    payment_terms: Mapped[str | None] = mapped_column(String(64))
    credit_limit: Mapped[Decimal | None] = mapped_column(Cents)
    branch: Mapped[str | None] = mapped_column(String(64))
    department: Mapped[str | None] = mapped_column(String(64))
    commission_reduced_percent: Mapped[Decimal | None] = mapped_column(Cents)
    # Loyalty and money, kept equal to the ledgers by the domain functions that write them
    level: Mapped[str | None] = mapped_column(String(32))
    points_balance: Mapped[int] = mapped_column(Integer, default=0)
    credit_balance: Mapped[Decimal] = mapped_column(Cents, default=Decimal(0))
    total_revenue: Mapped[Decimal] = mapped_column(Cents, default=Decimal(0))
    order_count: Mapped[int] = mapped_column(Integer, default=0)
    # Lower-cased reference, names, email and phone digits: what `search` matches with
    # contains; trigram-indexed on PostgreSQL.
    search_text: Mapped[str] = mapped_column(Text, default="")


class Address(Base):
    __tablename__ = "addresses"
    __table_args__ = (
        Index("ix_addresses_customer_id", "customer_id"),
        # At most one default of each kind per customer.
        Index(
            "uq_addresses_default_billing",
            "customer_id",
            unique=True,
            sqlite_where=text("is_default_billing"),
            postgresql_where=text("is_default_billing"),
        ),
        Index(
            "uq_addresses_default_shipping",
            "customer_id",
            unique=True,
            sqlite_where=text("is_default_shipping"),
            postgresql_where=text("is_default_shipping"),
        ),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    salutation: Mapped[str | None] = mapped_column(String(32))
    first_name: Mapped[str | None] = mapped_column(String(100))
    last_name: Mapped[str | None] = mapped_column(String(100))
    company: Mapped[str | None] = mapped_column(String(200))
    line1: Mapped[str] = mapped_column(String(200))
    line2: Mapped[str | None] = mapped_column(String(200))
    line3: Mapped[str | None] = mapped_column(String(200))
    postal_code: Mapped[str | None] = mapped_column(String(20))
    city: Mapped[str] = mapped_column(String(100))
    region: Mapped[str | None] = mapped_column(String(100))
    country: Mapped[str] = mapped_column(String(2))
    phone: Mapped[str | None] = mapped_column(String(20))
    is_default_billing: Mapped[bool] = mapped_column(Boolean, default=False)
    is_default_shipping: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Membership(Base):
    """A loyalty or club programme the customer belongs to."""

    __tablename__ = "memberships"
    __table_args__ = (Index("ix_memberships_customer_id", "customer_id"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    program: Mapped[str] = mapped_column(String(64))
    tier: Mapped[str | None] = mapped_column(String(32))
    number: Mapped[str | None] = mapped_column(String(64))
    started_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)


class CustomFieldDefinition(Base):
    __tablename__ = "custom_field_definitions"
    __table_args__ = (CheckConstraint(_in("type", CUSTOM_FIELD_TYPES), name="type"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(100))
    type: Mapped[str] = mapped_column(String(16))
    description: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CustomFieldValue(Base):
    """A value kept in the canonical text form of its definition's type."""

    __tablename__ = "custom_field_values"
    __table_args__ = (Index("ix_custom_field_values_definition_id", "definition_id"),)

    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True
    )
    definition_id: Mapped[int] = mapped_column(
        ForeignKey("custom_field_definitions.id", ondelete="CASCADE"), primary_key=True
    )
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CustomerCount(Base):
    """How many customer rows there are, kept by triggers on `customers` (migration 0005)
    in shards, so that concurrent sign-ups do not queue on one row: the plain list's
    total is their sum instead of a count of the table (0.9 ms for 10,000 customers,
    growing with the table; every console's first screen and export page shows it)."""

    __tablename__ = "customer_counts"

    shard: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    customers: Mapped[int] = mapped_column(BigInteger, default=0)
