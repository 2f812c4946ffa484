"""webhooks: subscriptions, deliveries and their log; webhooks:manage for the built-in roles

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03

OWNER and ADMIN hold every permission and MANAGER all but customers:admin and
staff:manage (auth/permissions.py), so the three built-in roles gain the new
`webhooks:manage`; roles made by hand are left as they are.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql")
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WEBHOOKS_MANAGE = "webhooks:manage"
GRANTED_ROLES = ("OWNER", "ADMIN", "MANAGER")


def upgrade() -> None:
    op.create_table(
        "webhook_subscriptions",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("event_types", JSON, nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("secret_salt", sa.String(length=64), nullable=False),
        sa.Column("owner_staff_id", ID, nullable=True),
        sa.Column("owner_api_key_id", ID, nullable=True),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("disabled_reason", sa.String(length=500), nullable=True),
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(owner_staff_id IS NULL) <> (owner_api_key_id IS NULL)",
            name=op.f("ck_webhook_subscriptions_one_owner"),
        ),
        sa.ForeignKeyConstraint(
            ["owner_api_key_id"],
            ["api_keys.id"],
            name=op.f("fk_webhook_subscriptions_owner_api_key_id_api_keys"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_staff_id"],
            ["staff_users.id"],
            name=op.f("fk_webhook_subscriptions_owner_staff_id_staff_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_subscriptions")),
    )
    op.create_index(
        "ix_webhook_subscriptions_owner_api_key_id", "webhook_subscriptions", ["owner_api_key_id"]
    )
    op.create_index(
        "ix_webhook_subscriptions_owner_staff_id", "webhook_subscriptions", ["owner_staff_id"]
    )
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("subscription_id", ID, nullable=False),
        sa.Column("change_sequence", sa.BigInteger(), nullable=False),
        sa.Column("event_type", sa.String(length=40), nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=True),
        sa.Column("manual", sa.Boolean(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_latency_ms", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.String(length=1000), nullable=True),
        sa.Column("succeeded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "state IN ('PENDING', 'SENDING', 'SUCCEEDED', 'FAILED')",
            name=op.f("ck_webhook_deliveries_state"),
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["webhook_subscriptions.id"],
            name=op.f("fk_webhook_deliveries_subscription_id_webhook_subscriptions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_deliveries")),
        sa.UniqueConstraint(
            "subscription_id",
            "change_sequence",
            name=op.f("uq_webhook_deliveries_subscription_id_change_sequence"),
        ),
        sa.UniqueConstraint("uuid", name=op.f("uq_webhook_deliveries_uuid")),
    )
    op.create_index(
        "ix_webhook_deliveries_state_next_attempt_at",
        "webhook_deliveries",
        ["state", "next_attempt_at"],
    )
    op.create_index(
        "ix_webhook_deliveries_subscription_id_created_at_id",
        "webhook_deliveries",
        ["subscription_id", "created_at", "id"],
    )
    op.create_table(
        "webhook_log",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("subscription_id", ID, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("delivery_id", sa.BigInteger(), nullable=True),
        sa.Column("event_type", sa.String(length=40), nullable=True),
        sa.Column("change_sequence", sa.BigInteger(), nullable=True),
        sa.Column("attempt", sa.Integer(), nullable=True),
        sa.Column("manual", sa.Boolean(), nullable=False),
        sa.Column("succeeded", sa.Boolean(), nullable=True),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("latency_ms", sa.Integer(), nullable=True),
        sa.Column("error", sa.String(length=1000), nullable=True),
        sa.Column("message", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('ATTEMPT', 'DISABLED')", name=op.f("ck_webhook_log_kind")),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["webhook_subscriptions.id"],
            name=op.f("fk_webhook_log_subscription_id_webhook_subscriptions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_log")),
    )
    op.create_index(
        "ix_webhook_log_subscription_id_created_at_id",
        "webhook_log",
        ["subscription_id", "created_at", "id"],
    )
    _grant(WEBHOOKS_MANAGE)


def downgrade() -> None:
    _revoke(WEBHOOKS_MANAGE)
    op.drop_index("ix_webhook_log_subscription_id_created_at_id", table_name="webhook_log")
    op.drop_table("webhook_log")
    op.drop_index(
        "ix_webhook_deliveries_subscription_id_created_at_id", table_name="webhook_deliveries"
    )
    op.drop_index("ix_webhook_deliveries_state_next_attempt_at", table_name="webhook_deliveries")
    op.drop_table("webhook_deliveries")
    op.drop_index("ix_webhook_subscriptions_owner_staff_id", table_name="webhook_subscriptions")
    op.drop_index("ix_webhook_subscriptions_owner_api_key_id", table_name="webhook_subscriptions")
    op.drop_table("webhook_subscriptions")


_roles = sa.table(
    "roles",
    sa.column("name", sa.String),
    sa.column("permissions", JSON),
    sa.column("is_builtin", sa.Boolean),
)


def _builtin_roles() -> list[tuple[str, list[str]]]:
    rows = op.get_bind().execute(
        sa.select(_roles.c.name, _roles.c.permissions).where(
            _roles.c.name.in_(GRANTED_ROLES), _roles.c.is_builtin
        )
    )
    return [(name, list(permissions or [])) for name, permissions in rows]


def _grant(permission: str) -> None:
    for name, permissions in _builtin_roles():
        if permission not in permissions:
            _set(name, [*permissions, permission])


def _revoke(permission: str) -> None:
    for name, permissions in _builtin_roles():
        if permission in permissions:
            _set(name, [p for p in permissions if p != permission])


def _set(name: str, permissions: list[str]) -> None:
    op.get_bind().execute(
        _roles.update().where(_roles.c.name == name).values(permissions=permissions)
    )
