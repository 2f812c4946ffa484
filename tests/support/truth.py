"""Reading the database directly to check what the API answers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Executable, Row
from sqlalchemy.ext.asyncio import AsyncEngine


async def fetch(engine: AsyncEngine, statement: Executable) -> Sequence[Row[Any]]:
    async with engine.connect() as connection:
        return (await connection.execute(statement)).all()
