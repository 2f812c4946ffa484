"""Recording how an attempt went, on the outbox row and the customer's notification."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from custgraph.db.models import Notification, OutboxMessage
from custgraph.domain.transaction import in_transaction
from custgraph.mail.claim import FAILED, PENDING, SENDING, SENT, Claim
from custgraph.mail.policy import DeliveryPolicy

# The columns hold 1000 characters; a shorter error keeps the record readable.
MAX_ERROR_LENGTH = 500


async def record_sent(
    sessions: async_sessionmaker[AsyncSession], claim: Claim, *, now: datetime
) -> bool:
    """Mark the message and its notification SENT. False when the claim was lost."""
    return await _record(
        sessions,
        claim,
        # Bodies hold one-time links that work like passwords: nothing keeps them once sent.
        outbox={"status": SENT, "sent_at": now, "last_error": None, "body": ""},
        notification={"status": SENT, "sent_at": now, "error": None},
    )


async def record_failure(
    sessions: async_sessionmaker[AsyncSession],
    claim: Claim,
    error: str,
    *,
    now: datetime,
    policy: DeliveryPolicy,
    permanent: bool = False,
) -> str | None:
    """Schedule a retry with exponential backoff, or fail for good after the last attempt.

    Returns the message's new status (PENDING or FAILED), or None when the claim was lost.
    """
    error = truncate_error(error)
    if permanent or claim.attempts >= policy.max_attempts:
        recorded = await _record(
            sessions,
            claim,
            outbox={"status": FAILED, "last_error": error, "body": ""},
            notification={"status": FAILED, "error": error},
        )
        return FAILED if recorded else None
    recorded = await _record(
        sessions,
        claim,
        outbox={
            "status": PENDING,
            "last_error": error,
            "next_attempt_at": now + policy.retry_delay(claim.attempts),
        },
        # The notification shows the last error while retries go on; it stays PENDING.
        notification={"error": error},
    )
    return PENDING if recorded else None


def truncate_error(error: str) -> str:
    """An error text that fits the columns, marked when shortened."""
    error = " ".join(error.split())  # one line in logs and in the admin UI
    if len(error) <= MAX_ERROR_LENGTH:
        return error
    return error[: MAX_ERROR_LENGTH - 1] + "…"


async def _record(
    sessions: async_sessionmaker[AsyncSession],
    claim: Claim,
    *,
    outbox: dict[str, Any],
    notification: dict[str, Any],
) -> bool:
    async def record(session: AsyncSession) -> bool:
        # Matching the attempt count makes this a no-op for a worker whose claim lapsed
        # and was taken over: the newer attempt's result wins.
        updated = (
            await session.execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.id == claim.message.outbox_id,
                    OutboxMessage.status == SENDING,
                    OutboxMessage.attempts == claim.attempts,
                )
                .values(**outbox)
                .returning(OutboxMessage.id)
                .execution_options(synchronize_session=False)
            )
        ).first()
        if updated is None:
            return False
        if claim.notification_id is not None:
            await session.execute(
                update(Notification)
                .where(Notification.id == claim.notification_id)
                .values(attempts=claim.attempts, **notification)
                .execution_options(synchronize_session=False)
            )
        return True

    # A busy database must not lose the result of a message already sent: the retry of
    # `in_transaction` covers that, where a lost result would mean sending it again.
    return await in_transaction(sessions, record)
