"""One transaction per action, retried when the database asks for it."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Awaitable, Callable, Iterator
from contextvars import ContextVar
from typing import TypeVar

from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from custgraph.domain.errors import DomainError

T = TypeVar("T")
MAX_ATTEMPTS = 6
# PostgreSQL: serialization failure, deadlock detected.
TRANSIENT_SQLSTATES = frozenset({"40001", "40P01"})

Rider = Callable[[AsyncSession], Awaitable[None]]
# Work that commits together with every action's transaction in this task: a bulk job
# records a customer's outcome in the same commit as the action on it, so that a job
# killed in the middle never applies an action twice nor loses one (jobs/actions.py).
_rider: ContextVar[Rider | None] = ContextVar("custgraph_transaction_rider", default=None)


@contextlib.contextmanager
def riding(rider: Rider) -> Iterator[None]:
    """Run `rider` at the end of each `in_transaction` inside this block, before commit."""
    token = _rider.set(rider)
    try:
        yield
    finally:
        _rider.reset(token)


def is_transient(error: DBAPIError) -> bool:
    original = error.orig
    sqlstate = getattr(original, "sqlstate", None) or getattr(original, "pgcode", None)
    if sqlstate in TRANSIENT_SQLSTATES:
        return True
    message = str(original).lower()
    if "database is locked" in message or "database is busy" in message:
        return True
    # Two concurrent first uses of one idempotency key: the retry finds the stored result;
    # two concurrent creations of one external id (an upsert): the retry finds the record.
    return isinstance(error, IntegrityError) and (
        "idempotency_records" in message or "external_id" in message
    )


async def in_transaction(
    sessions: async_sessionmaker[AsyncSession], work: Callable[[AsyncSession], Awaitable[T]]
) -> T:
    """Run `work` in one transaction: all of it is committed, or nothing.

    Lock conflicts the database reports as transient (SQLite busy, PostgreSQL
    serialization failures and deadlocks) are retried a bounded number of times with
    jittered backoff; `work` must therefore do nothing but database work. A
    DomainError rolls back and propagates at once.
    """
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            async with sessions.begin() as session:
                result = await work(session)
                rider = _rider.get()
                if rider is not None:
                    await rider(session)
                return result
        except DBAPIError as error:
            if not is_transient(error) or attempt == MAX_ATTEMPTS:
                if is_transient(error):
                    raise DomainError(
                        "CONFLICT", "The record is busy; try again in a moment.", None
                    ) from error
                raise
            await asyncio.sleep(random.uniform(0, 0.02 * 2**attempt))
    raise AssertionError("unreachable")
