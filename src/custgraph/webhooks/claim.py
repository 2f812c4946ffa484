"""Taking due webhook deliveries for sending, safely with several workers on one database.

As for the outbox (custgraph/mail/claim.py): a claim is a short committed transaction
that moves rows to SENDING, counts the attempt and sets `next_attempt_at` to the claim's
expiry; no transaction stays open while a webhook is sent, and `(id, attempts)`
identifies the claim, so a worker whose claim lapsed cannot overwrite a newer attempt's
result. A few rows are claimed at once (the policy's `concurrency`) and sent side by
side, so that one slow receiver does not hold up everyone else's webhooks.

    UPDATE webhook_deliveries SET state = 'SENDING', attempts = attempts + 1, …
    WHERE id IN (SELECT id FROM webhook_deliveries WHERE <due> AND <subscription active>
                 ORDER BY next_attempt_at, id LIMIT :n FOR UPDATE SKIP LOCKED)
    RETURNING …

On PostgreSQL `FOR UPDATE SKIP LOCKED` lets concurrent workers take different rows
without waiting for each other (the subscription is only read, never locked here). SQLite
omits the clause and needs none: the UPDATE takes the database's single write lock
before it reads (the app's write engine begins IMMEDIATE), so a second worker waits and
then finds the rows SENDING.

Deliveries of an inactive subscription (paused, or disabled after failures) are not
taken: they wait, and go out once it is active again. Nor are those of a revoked API
key or a deactivated staff user: a key revoked because it leaked gets nothing more.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from custgraph.db.models import (
    ApiKey,
    StaffUser,
    WebhookDelivery,
    WebhookLogEntry,
    WebhookSubscription,
)
from custgraph.domain.transaction import in_transaction
from custgraph.webhooks.policy import WebhookPolicy

PENDING, SENDING, SUCCEEDED, FAILED = "PENDING", "SENDING", "SUCCEEDED", "FAILED"
ABANDONED_ERROR = "the worker sending it stopped during the last allowed attempt"

D = WebhookDelivery
S = WebhookSubscription


@dataclass(frozen=True)
class Claim:
    """A delivery this worker may attempt now; `attempts` counts this attempt."""

    delivery_id: int
    uuid: str
    subscription_id: int
    change_sequence: int
    event_type: str
    body: str
    attempts: int
    # No attempt follows this one if it fails (the last allowed, or a manual redelivery's).
    final: bool
    manual: bool
    url: str
    secret_salt: str


def _allowed_attempts(policy: WebhookPolicy) -> ColumnElement[int]:
    return func.coalesce(D.max_attempts, policy.max_attempts)


def _due(now: datetime, policy: WebhookPolicy) -> ColumnElement[bool]:
    # PENDING rows whose time has come, and SENDING rows whose claim lapsed (a worker
    # stopped mid-attempt) with attempts left; the subscription must be active, and its
    # owner still there: a revoked key's or deactivated user's webhooks wait.
    return and_(
        D.state.in_((PENDING, SENDING)),
        D.next_attempt_at <= now,
        or_(D.state == PENDING, D.attempts < _allowed_attempts(policy)),
        exists().where(
            S.id == D.subscription_id,
            S.is_active.is_(True),
            or_(
                S.owner_api_key_id.is_(None),
                exists().where(ApiKey.id == S.owner_api_key_id, ApiKey.revoked_at.is_(None)),
            ),
            or_(
                S.owner_staff_id.is_(None),
                exists().where(StaffUser.id == S.owner_staff_id, StaffUser.is_active.is_(True)),
            ),
        ),
    )


async def claim_due(
    sessions: async_sessionmaker[AsyncSession],
    *,
    now: datetime,
    policy: WebhookPolicy,
    limit: int,
) -> list[Claim]:
    """Claim up to `limit` due deliveries, those waiting longest first."""
    next_due = (
        select(D.id)
        .where(_due(now, policy))
        .order_by(D.next_attempt_at, D.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    statement = (
        update(D)
        .where(D.id.in_(next_due))
        .values(state=SENDING, attempts=D.attempts + 1, next_attempt_at=now + policy.claim_timeout)
        .returning(
            D.id,
            D.uuid,
            D.subscription_id,
            D.change_sequence,
            D.event_type,
            D.body,
            D.attempts,
            D.max_attempts,
            D.manual,
        )
        .execution_options(synchronize_session=False)
    )

    async def claim(session: AsyncSession) -> list[Claim]:
        rows = (await session.execute(statement)).all()
        if not rows:
            return []
        targets = {
            row.id: row
            for row in await session.execute(
                select(S.id, S.url, S.secret_salt).where(
                    S.id.in_({row.subscription_id for row in rows})
                )
            )
        }
        claims = [
            Claim(
                delivery_id=row.id,
                uuid=row.uuid,
                subscription_id=row.subscription_id,
                change_sequence=row.change_sequence,
                event_type=row.event_type,
                body=row.body,
                attempts=row.attempts,
                final=row.attempts >= (row.max_attempts or policy.max_attempts),
                manual=row.manual,
                url=targets[row.subscription_id].url,
                secret_salt=targets[row.subscription_id].secret_salt,
            )
            for row in rows
        ]
        return sorted(claims, key=lambda c: c.delivery_id)

    return await in_transaction(sessions, claim)


async def give_up_abandoned(
    sessions: async_sessionmaker[AsyncSession], *, now: datetime, policy: WebhookPolicy
) -> int:
    """Fail deliveries whose last allowed attempt was claimed by a worker that never
    reported, each with an entry in its subscription's log. Returns how many."""
    abandoned = (
        select(D.id)
        .where(
            D.state == SENDING,
            D.next_attempt_at <= now,
            D.attempts >= _allowed_attempts(policy),
        )
        .with_for_update(skip_locked=True)
    )

    async def give_up(session: AsyncSession) -> int:
        rows = (
            await session.execute(
                update(D)
                .where(D.id.in_(abandoned))
                .values(state=FAILED, last_error=ABANDONED_ERROR, manual=False)
                .returning(D.id, D.subscription_id, D.event_type, D.change_sequence, D.attempts)
                .execution_options(synchronize_session=False)
            )
        ).all()
        session.add_all(
            WebhookLogEntry(
                subscription_id=row.subscription_id,
                kind="ATTEMPT",
                delivery_id=row.id,
                event_type=row.event_type,
                change_sequence=row.change_sequence,
                attempt=row.attempts,
                succeeded=False,
                error=ABANDONED_ERROR,
                created_at=now,
            )
            for row in rows
        )
        return len(rows)

    return await in_transaction(sessions, give_up)
