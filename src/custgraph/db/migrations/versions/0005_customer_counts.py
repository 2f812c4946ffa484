"""customer counts kept by triggers

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30

The number of customer rows, kept in `customer_counts` by triggers on `customers`, in
the same transaction as the rows themselves (so a reader sees both or neither).

PostgreSQL: one statement-level trigger per INSERT, DELETE and TRUNCATE adds the
statement's rows (its transition table) to the shard of the session's backend, so
concurrent sign-ups do not queue on one row, and a transaction only ever locks its own
shard (no lock-order deadlocks). SQLite has one writer at a time: one shard, row triggers.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

POSTGRESQL_SHARDS = 16

_POSTGRESQL_FUNCTION = f"""
CREATE FUNCTION custgraph_count_customers() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    UPDATE customer_counts SET customers = customers + (SELECT count(*) FROM inserted)
     WHERE shard = pg_backend_pid() % {POSTGRESQL_SHARDS};
  ELSIF TG_OP = 'DELETE' THEN
    UPDATE customer_counts SET customers = customers - (SELECT count(*) FROM deleted)
     WHERE shard = pg_backend_pid() % {POSTGRESQL_SHARDS};
  ELSE
    UPDATE customer_counts SET customers = 0;
  END IF;
  RETURN NULL;
END
$$
"""

_POSTGRESQL_TRIGGERS = (
    "CREATE TRIGGER customers_counted_insert AFTER INSERT ON customers "
    "REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT "
    "EXECUTE FUNCTION custgraph_count_customers()",
    "CREATE TRIGGER customers_counted_delete AFTER DELETE ON customers "
    "REFERENCING OLD TABLE AS deleted FOR EACH STATEMENT "
    "EXECUTE FUNCTION custgraph_count_customers()",
    "CREATE TRIGGER customers_counted_truncate AFTER TRUNCATE ON customers "
    "FOR EACH STATEMENT EXECUTE FUNCTION custgraph_count_customers()",
)

_SQLITE_TRIGGERS = (
    "CREATE TRIGGER customers_counted_insert AFTER INSERT ON customers BEGIN "
    "UPDATE customer_counts SET customers = customers + 1 WHERE shard = 0; END",
    "CREATE TRIGGER customers_counted_delete AFTER DELETE ON customers BEGIN "
    "UPDATE customer_counts SET customers = customers - 1 WHERE shard = 0; END",
)


def upgrade() -> None:
    op.create_table(
        "customer_counts",
        sa.Column("shard", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("customers", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("shard", name=op.f("pk_customer_counts")),
    )
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:
        # Taken before counting, so that no customer is added or removed in between.
        op.execute("LOCK TABLE customers IN SHARE MODE")
    shards = POSTGRESQL_SHARDS if postgresql else 1
    op.execute(
        "INSERT INTO customer_counts (shard, customers) "
        "SELECT 0, count(*) FROM customers"
        + "".join(f" UNION ALL SELECT {n}, 0" for n in range(1, shards))
    )
    if postgresql:
        op.execute(_POSTGRESQL_FUNCTION)
        for trigger in _POSTGRESQL_TRIGGERS:
            op.execute(trigger)
    else:
        for trigger in _SQLITE_TRIGGERS:
            op.execute(trigger)


def downgrade() -> None:
    for name in ("customers_counted_insert", "customers_counted_delete"):
        op.execute(
            f"DROP TRIGGER IF EXISTS {name}"
            + (" ON customers" if op.get_bind().dialect.name == "postgresql" else "")
        )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS customers_counted_truncate ON customers")
        op.execute("DROP FUNCTION IF EXISTS custgraph_count_customers()")
    op.drop_table("customer_counts")
