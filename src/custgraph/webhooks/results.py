"""Recording how an attempt went: on the delivery, in the subscription's log, and in the
subscription's run of failures (which may disable it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from custgraph.db.models import WebhookDelivery, WebhookLogEntry, WebhookSubscription
from custgraph.domain.transaction import in_transaction
from custgraph.webhooks.claim import FAILED, PENDING, SENDING, SUCCEEDED, Claim
from custgraph.webhooks.policy import WebhookPolicy

# The columns hold 1000 characters; a shorter error keeps the log readable.
MAX_ERROR_LENGTH = 500

D = WebhookDelivery
S = WebhookSubscription


@dataclass(frozen=True)
class AttemptResult:
    """What one POST came to: the status code (None without an answer), how long the
    answer took, and why it failed (None: a 2xx, delivered)."""

    status_code: int | None
    latency_ms: int
    error: str | None = None

    @property
    def succeeded(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class Recorded:
    """The delivery's state after the attempt, and whether its subscription got disabled."""

    state: str
    disabled: bool = False


async def record_attempt(
    sessions: async_sessionmaker[AsyncSession],
    claim: Claim,
    result: AttemptResult,
    *,
    now: datetime,
    policy: WebhookPolicy,
) -> Recorded | None:
    """Record `result` of `claim`'s attempt; None when the claim was lost meanwhile (it
    lapsed and another worker took the delivery over, or the subscription was deleted).

    A success ends the delivery and the subscription's run of failures. A failure
    schedules the next attempt after `policy.retry_delay`, or fails the delivery for good
    after its last; it adds to the subscription's run, and the run reaching
    `policy.disable_after_failures` disables the subscription with a log entry saying why.
    """
    error = truncate_error(result.error) if result.error is not None else None
    values: dict[str, Any] = {
        "last_attempt_at": now,
        "last_status_code": result.status_code,
        "last_latency_ms": result.latency_ms,
        "last_error": error,
        "manual": False,
    }
    if result.succeeded:
        state = SUCCEEDED
        values.update(state=SUCCEEDED, succeeded_at=now, next_attempt_at=now)
    elif claim.final:
        state = FAILED
        values.update(state=FAILED, next_attempt_at=now)
    else:
        state = PENDING
        values.update(state=PENDING, next_attempt_at=now + policy.retry_delay(claim.attempts))

    async def record(session: AsyncSession) -> Recorded | None:
        # Matching the attempt count makes this a no-op for a worker whose claim lapsed
        # and was taken over: the newer attempt's result wins.
        updated = (
            await session.execute(
                update(D)
                .where(
                    D.id == claim.delivery_id,
                    D.state == SENDING,
                    D.attempts == claim.attempts,
                )
                .values(**values)
                .returning(D.id)
                .execution_options(synchronize_session=False)
            )
        ).first()
        if updated is None:
            return None
        session.add(
            WebhookLogEntry(
                subscription_id=claim.subscription_id,
                kind="ATTEMPT",
                delivery_id=claim.delivery_id,
                event_type=claim.event_type,
                change_sequence=claim.change_sequence,
                attempt=claim.attempts,
                manual=claim.manual,
                succeeded=result.succeeded,
                status_code=result.status_code,
                latency_ms=result.latency_ms,
                error=error,
                created_at=now,
            )
        )
        if result.succeeded:
            await session.execute(
                update(S)
                .where(S.id == claim.subscription_id, S.consecutive_failures != 0)
                .values(consecutive_failures=0)
                .execution_options(synchronize_session=False)
            )
            return Recorded(state)
        await session.execute(
            update(S)
            .where(S.id == claim.subscription_id)
            .values(consecutive_failures=S.consecutive_failures + 1)
            .execution_options(synchronize_session=False)
        )
        disabled = await _disable_after_failures(session, claim, error, now, policy)
        return Recorded(state, disabled)

    # A busy database must not lose the result of a webhook already sent: the retry of
    # `in_transaction` covers that, where a lost result would mean sending it again.
    return await in_transaction(sessions, record)


async def _disable_after_failures(
    session: AsyncSession,
    claim: Claim,
    error: str | None,
    now: datetime,
    policy: WebhookPolicy,
) -> bool:
    threshold = policy.disable_after_failures
    if threshold <= 0:
        return False
    reason = f"Disabled after {threshold} failed attempts in a row; the last: {error}"[:500]
    # One statement decides: of two workers failing at once, only one disables it.
    disabled = (
        await session.execute(
            update(S)
            .where(
                S.id == claim.subscription_id,
                S.is_active.is_(True),
                S.consecutive_failures >= threshold,
            )
            .values(is_active=False, disabled_reason=reason, disabled_at=now, updated_at=now)
            .returning(S.id)
            .execution_options(synchronize_session=False)
        )
    ).first()
    if disabled is None:
        return False
    session.add(
        WebhookLogEntry(
            subscription_id=claim.subscription_id,
            kind="DISABLED",
            delivery_id=claim.delivery_id,
            event_type=claim.event_type,
            change_sequence=claim.change_sequence,
            message=reason,
            created_at=now,
        )
    )
    return True


def truncate_error(error: str) -> str:
    """An error text that fits the columns, on one line, marked when shortened."""
    error = " ".join(error.split())
    if len(error) <= MAX_ERROR_LENGTH:
        return error
    return error[: MAX_ERROR_LENGTH - 1] + "…"
