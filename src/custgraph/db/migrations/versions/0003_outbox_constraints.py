"""outbox status check; outbox rows go with their notification

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FK = "fk_outbox_notification_id_notifications"


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_constraint(FK, type_="foreignkey")
        batch.create_foreign_key(
            FK, "notifications", ["notification_id"], ["id"], ondelete="CASCADE"
        )
        batch.create_check_constraint(
            "status", "status IN ('PENDING', 'SENDING', 'SENT', 'FAILED')"
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_constraint(op.f("ck_outbox_status"), type_="check")
        batch.drop_constraint(FK, type_="foreignkey")
        batch.create_foreign_key(
            FK, "notifications", ["notification_id"], ["id"], ondelete="SET NULL"
        )
