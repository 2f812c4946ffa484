"""How many outbox messages wait to be sent."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from custgraph.db.models.activity import OutboxMessage


async def pending_outbox_messages(engine: AsyncEngine, within_seconds: float) -> int | None:
    """The count of PENDING messages, or None when the database does not answer in time."""

    async def count() -> int:
        async with engine.connect() as connection:
            statement = (
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.status == "PENDING")
            )
            return int((await connection.execute(statement)).scalar_one())

    try:
        return await asyncio.wait_for(count(), within_seconds)
    except Exception:  # a scrape reports "unknown" rather than failing
        return None
