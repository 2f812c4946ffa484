"""Primary keys handed out by the seeder itself, continuing after the current maximum.

Knowing every id before inserting lets child rows reference their parents without a
round trip per row, and lets references, emails and codes derive from ids that are
guaranteed fresh.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from custgraph.seed.tables import ID_TABLES


class IdAllocator:
    """Next free id per table name. Assumes nobody else inserts while the seeder runs."""

    def __init__(self, last_ids: dict[str, int]) -> None:
        self._last = dict(last_ids)

    @classmethod
    async def load(cls, connection: AsyncConnection) -> IdAllocator:
        """Read the current maximum id of every table the seeder writes."""
        last: dict[str, int] = {}
        for table in ID_TABLES:
            value = await connection.scalar(select(func.max(table.c.id)))
            last[table.name] = int(value or 0)
        return cls(last)

    def peek(self, table: str) -> int:
        """The id the next `take(table)` returns."""
        return self._last[table] + 1

    def take(self, table: str) -> int:
        """Hand out the next id of `table`."""
        self._last[table] += 1
        return self._last[table]
