"""Telling "the database cannot be reached" apart from other failures."""

from __future__ import annotations

import asyncio

from sqlalchemy import exc, text
from sqlalchemy.ext.asyncio import AsyncEngine

# How long a request that failed waits to learn whether the database is reachable.
PROBE_SECONDS = 2.0


class DatabaseUnavailable(Exception):
    pass


def is_database_unavailable(error: BaseException) -> bool:
    """A refused or timed-out connection, or a pool with no connection to give."""
    if isinstance(error, (DatabaseUnavailable, OSError, TimeoutError, exc.TimeoutError)):
        return True
    if isinstance(error, exc.DBAPIError):
        return error.connection_invalidated or isinstance(error.orig, (OSError, TimeoutError))
    return False


async def database_reachable(engine: AsyncEngine) -> bool:
    """Whether a new connection answers `SELECT 1` within PROBE_SECONDS."""

    async def probe() -> None:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    try:
        await asyncio.wait_for(probe(), PROBE_SECONDS)
    except Exception as error:
        if is_database_unavailable(error):
            return False
        raise
    return True
