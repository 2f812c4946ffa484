"""Taking one due outbox message for sending, safely with several workers on one database.

A claim is a short committed transaction that moves a row to SENDING, counts the attempt
and sets `next_attempt_at` to the claim's expiry (`now + claim_timeout`). No transaction
stays open while the message is sent. While a row is SENDING, `next_attempt_at` is when
its claim lapses: a worker that crashed mid-send leaves a row that is due again then,
with no extra column. `(id, attempts)` identifies the claim, so a worker whose claim
lapsed and was taken over cannot overwrite the newer attempt's result.

One row per claim rather than a batch: the claim then never has to outlive more than one
send, and a stop request is honoured between messages. The statement is the same on both
databases:

    UPDATE outbox SET status = 'SENDING', attempts = attempts + 1, next_attempt_at = :expiry
    WHERE id = (SELECT id FROM outbox WHERE <due> ORDER BY next_attempt_at, id LIMIT 1
                FOR UPDATE SKIP LOCKED)
    RETURNING …

On PostgreSQL `FOR UPDATE SKIP LOCKED` lets concurrent workers take different rows
without waiting on each other; a row another worker claimed and committed meanwhile is
re-checked against `<due>` and passed over. SQLite omits the clause (SQLAlchemy renders
nothing) and needs none: the UPDATE takes the database's single write lock before it
reads (with the app's write engine, already at BEGIN IMMEDIATE), so a second worker
waits (busy timeout) and then sees the row already SENDING.

Every transaction here and in `results` goes through `in_transaction`, which retries
what the database reports as transient (SQLite busy, PostgreSQL deadlock).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from custgraph.db.models import Notification, OutboxMessage
from custgraph.domain.transaction import in_transaction
from custgraph.mail.message import OutgoingMessage
from custgraph.mail.policy import DeliveryPolicy

PENDING, SENDING, SENT, FAILED = "PENDING", "SENDING", "SENT", "FAILED"
ABANDONED_ERROR = "the worker sending it stopped during the last allowed attempt"


@dataclass(frozen=True)
class Claim:
    """A message this worker may send; `attempts` counts this attempt."""

    message: OutgoingMessage
    notification_id: int | None
    attempts: int


def _due(now: datetime) -> ColumnElement[bool]:
    # PENDING rows whose retry time has come, and SENDING rows whose claim has lapsed.
    return and_(
        OutboxMessage.status.in_((PENDING, SENDING)),
        OutboxMessage.next_attempt_at <= now,
    )


async def claim_next(
    sessions: async_sessionmaker[AsyncSession], *, now: datetime, policy: DeliveryPolicy
) -> Claim | None:
    """Claim the message that has waited longest, or return None when nothing is due.

    A lapsed claim of the last allowed attempt is not taken again; `give_up_abandoned`
    fails it.
    """
    next_due = (
        select(OutboxMessage.id)
        .where(
            _due(now),
            or_(OutboxMessage.status == PENDING, OutboxMessage.attempts < policy.max_attempts),
        )
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(1)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    statement = (
        update(OutboxMessage)
        .where(OutboxMessage.id == next_due)
        .values(
            status=SENDING,
            attempts=OutboxMessage.attempts + 1,
            next_attempt_at=now + policy.claim_timeout,
        )
        .returning(
            OutboxMessage.id,
            OutboxMessage.notification_id,
            OutboxMessage.channel,
            OutboxMessage.recipient,
            OutboxMessage.subject,
            OutboxMessage.body,
            OutboxMessage.attempts,
        )
        .execution_options(synchronize_session=False)
    )

    async def claim(session: AsyncSession) -> Claim | None:
        row = (await session.execute(statement)).one_or_none()
        if row is None:
            return None
        kind = None
        if row.notification_id is not None:
            kind = await session.scalar(
                select(Notification.kind).where(Notification.id == row.notification_id)
            )
        return Claim(
            message=OutgoingMessage(
                outbox_id=row.id,
                channel=row.channel,
                kind=kind,
                recipient=row.recipient,
                subject=row.subject,
                body=row.body,
            ),
            notification_id=row.notification_id,
            attempts=row.attempts,
        )

    return await in_transaction(sessions, claim)


async def give_up_abandoned(
    sessions: async_sessionmaker[AsyncSession], *, now: datetime, policy: DeliveryPolicy
) -> int:
    """Fail messages whose last allowed attempt was claimed by a worker that never reported.

    Counting the attempt at claim time means a message that crashes its worker every time
    still ends, instead of being retried forever. Returns how many were failed.
    """
    abandoned = (
        select(OutboxMessage.id)
        .where(
            OutboxMessage.status == SENDING,
            OutboxMessage.next_attempt_at <= now,
            OutboxMessage.attempts >= policy.max_attempts,
        )
        .with_for_update(skip_locked=True)
    )

    async def give_up(session: AsyncSession) -> int:
        rows = (
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(abandoned.scalar_subquery()))
                .values(status=FAILED, last_error=ABANDONED_ERROR)
                .returning(OutboxMessage.notification_id, OutboxMessage.attempts)
                .execution_options(synchronize_session=False)
            )
        ).all()
        for notification_id, attempts in rows:
            if notification_id is not None:
                await session.execute(
                    update(Notification)
                    .where(Notification.id == notification_id)
                    .values(status=FAILED, attempts=attempts, error=ABANDONED_ERROR)
                    .execution_options(synchronize_session=False)
                )
        return len(rows)

    return await in_transaction(sessions, give_up)
