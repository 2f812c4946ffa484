"""The read side's database access for one request."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Executable, Row
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine


class Reader:
    """One connection per request, opened on first use and released at the end.

    Loaders of one level fire together; the lock runs their statements one after the
    other on the same connection (a DBAPI connection runs one statement at a time),
    which keeps a request to a single pooled connection.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._connection: AsyncConnection | None = None
        self._lock = asyncio.Lock()
        self.dialect = engine.dialect.name
        self.statement_count = 0

    async def all(self, statement: Executable) -> Sequence[Row[Any]]:
        async with self._lock:
            if self._connection is None:
                self._connection = await self._engine.connect()
            self.statement_count += 1
            result = await self._connection.execute(statement)
            return result.all()

    async def scalar(self, statement: Executable) -> Any:
        rows = await self.all(statement)
        return rows[0][0] if rows else None

    async def new_snapshot(self) -> None:
        """See what was committed since this request's first read.

        SQLite keeps one snapshot per read transaction; after a mutation commits on
        another connection, the payload must be read from a new one.
        """
        async with self._lock:
            if self._connection is not None and self._connection.in_transaction():
                await self._connection.rollback()

    async def close(self) -> None:
        if self._connection is not None:
            connection, self._connection = self._connection, None
            await connection.close()
