"""Writing a batch with Core `executemany` inserts, and telling PostgreSQL about the ids used."""

from __future__ import annotations

from sqlalchemy import Table, insert, text
from sqlalchemy.ext.asyncio import AsyncConnection

from custgraph.seed.batch import RowBatch
from custgraph.seed.tables import (
    ADDRESSES,
    CREDIT_ENTRIES,
    CUSTOM_FIELD_VALUES,
    CUSTOMER_EVENTS,
    CUSTOMERS,
    GIFT_CARD_ENTRIES,
    GIFT_CARDS,
    MEMBERSHIPS,
    NOTES,
    NOTIFICATIONS,
    ORDER_LINES,
    ORDERS,
    POINTS_ENTRIES,
)

# Parents before children, so foreign keys hold at every statement.
INSERT_ORDER: tuple[Table, ...] = (
    CUSTOMERS,
    ADDRESSES,
    ORDERS,
    ORDER_LINES,
    POINTS_ENTRIES,
    CREDIT_ENTRIES,
    GIFT_CARDS,
    GIFT_CARD_ENTRIES,
    NOTES,
    CUSTOMER_EVENTS,
    NOTIFICATIONS,
    MEMBERSHIPS,
    CUSTOM_FIELD_VALUES,
)


async def write_batch(connection: AsyncConnection, batch: RowBatch) -> None:
    """Insert every row of the batch, one `executemany` per table."""
    for table in INSERT_ORDER:
        rows = getattr(batch, table.name)
        if rows:
            await connection.execute(insert(table), rows)


async def advance_sequences(connection: AsyncConnection, tables: tuple[Table, ...]) -> None:
    """On PostgreSQL, move each table's id sequence past the explicitly inserted ids.

    Otherwise the next insert that relies on the sequence would collide with a seeded id.
    """
    if connection.dialect.name != "postgresql":
        return
    for table in tables:
        # Table names come from our own metadata, never from input.
        await connection.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence(:table, 'id'), max(id)) FROM {table.name}"
                " HAVING max(id) IS NOT NULL"
            ),
            {"table": table.name},
        )
