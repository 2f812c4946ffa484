"""How far a sink has published the feed: its `change_sink_positions` row.

The rule that keeps publishing at-least-once and in order: a position moves to N only
after the broker acknowledged every change up to N, and it never moves back. So a relay
that starts from a position republishes at worst what another relay published after
it, never skips anything, and every change reaches the broker before any later one
does for the first time.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from custgraph.db.models import ChangeSinkPosition, CustomerChange


async def lock_position(session: AsyncSession, name: str) -> int | None:
    """PostgreSQL: the sink's last published sequence, with its row locked until the
    transaction ends; None when another transaction holds it (`SKIP LOCKED`).

    A missing row is created (at 0: a new sink publishes the feed from its start), and
    the inserting transaction holds it as its lock.
    """
    last = await session.scalar(
        select(ChangeSinkPosition.last_sequence)
        .where(ChangeSinkPosition.name == name)
        .with_for_update(skip_locked=True)
    )
    if last is not None:
        return int(last)
    # Missing, or locked: an insert tells which. Another transaction's insert of the
    # same name in flight makes this one wait for it, then do nothing.
    created = await session.scalar(_create(session, name, 0))
    return None if created is None else int(created)


async def read_position(session: AsyncSession, name: str) -> int:
    """The sink's last published sequence, without any lock (0 for a new sink)."""
    last = await session.scalar(
        select(ChangeSinkPosition.last_sequence).where(ChangeSinkPosition.name == name)
    )
    return int(last or 0)


async def changes_after(
    session: AsyncSession, sequence: int, limit: int
) -> Sequence[CustomerChange]:
    """The next `limit` changes after `sequence`, in feed order.

    The feed is numbered in commit order, so nothing with a smaller number can commit
    after these are seen: reading on from the last one misses nothing.
    """
    statement = (
        select(CustomerChange)
        .where(CustomerChange.sequence > sequence)
        .order_by(CustomerChange.sequence)
        .limit(limit)
    )
    return (await session.scalars(statement)).all()


async def advance_position(session: AsyncSession, name: str, start: int, end: int) -> bool:
    """Move the sink from `start` (where this relay began) to `end` (the last change it
    had acknowledged), unless it is already there or beyond.

    Everything up to the row's value and everything from `start` to `end` has been
    published, so the higher of the two is safe to record; a row below `start` was
    reset by an operator, who wants the feed republished from there: left alone.
    Returns whether the row moved.
    """
    moved = await session.scalar(
        update(ChangeSinkPosition)
        .where(
            ChangeSinkPosition.name == name,
            ChangeSinkPosition.last_sequence >= start,
            ChangeSinkPosition.last_sequence < end,
        )
        .values(last_sequence=end)
        .returning(ChangeSinkPosition.last_sequence)
        .execution_options(synchronize_session=False)
    )
    if moved is not None:
        return True
    if start != 0:
        return False
    # A new sink whose row is not there yet (SQLite: nothing created it).
    created = await session.scalar(_create(session, name, end))
    return created is not None


def _create(session: AsyncSession, name: str, last_sequence: int) -> Any:
    """INSERT … ON CONFLICT DO NOTHING RETURNING of a new row, in the session's dialect."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return (
        insert(ChangeSinkPosition)
        .values(name=name, last_sequence=last_sequence)
        .on_conflict_do_nothing(index_elements=[ChangeSinkPosition.name])
        .returning(ChangeSinkPosition.last_sequence)
    )
