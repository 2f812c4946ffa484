"""A worker's lease on a job: taken, renewed with every step, lost to nobody silently.

A job is claimed by a random token with a lease (`claimed_until`). Every step of the
job (each customer's action, each batch of an export) renews the lease in the same
statement that checks it is still held and the job still RUNNING; a step that finds
it lost (the job was cancelled, or its lease lapsed and another process took it up)
raises ClaimLost and its transaction rolls back. A process killed mid-job leaves a
lease that lapses; any process then takes the job up where it stopped.

On PostgreSQL `FOR UPDATE SKIP LOCKED` lets workers claim different jobs without waiting
for each other; SQLite needs none (its write transactions are exclusive).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from custgraph.db.models import Job
from custgraph.db.models.jobs import OPEN_JOB_STATES
from custgraph.domain.actors import Actor
from custgraph.domain.caller import Caller
from custgraph.domain.transaction import in_transaction

# Passes ending in an unexpected error (a database outage, a bug) before the job fails;
# between them the job waits a doubling time, up to a minute.
MAX_FAILED_PASSES = 5


class ClaimLost(Exception):
    """The job is no longer this worker's to run (cancelled, or taken up elsewhere)."""


@dataclass(frozen=True)
class ClaimedJob:
    id: int
    token: str
    operation: str
    arguments: dict[str, Any]
    error_policy: str
    selection: str
    caller: Caller  # the job runs as whoever asked for it
    owner_type: str
    owner_id: int | None
    required_permissions: tuple[str, ...]


def _claimed(job: Job, token: str) -> ClaimedJob:
    return ClaimedJob(
        id=job.id,
        token=token,
        operation=job.operation,
        arguments=dict(job.arguments),
        error_policy=job.error_policy,
        selection=job.selection,
        caller=Caller(
            Actor(job.owner_type, job.owner_id, job.owner_label),
            job.principal_key,
            job.request_id,
        ),
        owner_type=job.owner_type,
        owner_id=job.owner_id,
        required_permissions=tuple(job.required_permissions),
    )


async def claim_next(
    sessions: async_sessionmaker[AsyncSession], lease_seconds: float
) -> ClaimedJob | None:
    """Take the oldest open job nobody holds (new, or its worker gone), or None."""
    now = datetime.now(UTC)

    async def work(session: AsyncSession) -> ClaimedJob | None:
        job = await session.scalar(
            select(Job)
            .where(
                Job.state.in_(OPEN_JOB_STATES),
                or_(Job.claimed_until.is_(None), Job.claimed_until < now),
            )
            .order_by(Job.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        if job is None:
            return None
        token = uuid.uuid4().hex
        job.claimed_by = token
        job.claimed_until = now + timedelta(seconds=lease_seconds)
        job.state = "RUNNING"
        job.started_at = job.started_at or now
        return _claimed(job, token)

    return await in_transaction(sessions, work)


async def claimed_job(
    sessions: async_sessionmaker[AsyncSession], job_id: int, token: str
) -> ClaimedJob:
    """A job claimed when it was asked for (a small selection the request runs itself)."""
    async with sessions() as session:
        job = await session.get(Job, job_id)
    if job is None or job.claimed_by != token:
        raise ClaimLost()
    return _claimed(job, token)


async def renew(
    session: AsyncSession,
    job: ClaimedJob,
    lease_seconds: float,
    *,
    add: dict[str, int] | None = None,
    values: dict[str, Any] | None = None,
) -> None:
    """Renew the lease in `session`'s transaction, adding to the counters in `add` and
    setting `values`; ClaimLost when the job is no longer ours and RUNNING."""
    changes: dict[str, Any] = {
        "claimed_until": datetime.now(UTC) + timedelta(seconds=lease_seconds),
        **(values or {}),
    }
    for column, delta in (add or {}).items():
        changes[column] = getattr(Job, column) + delta
    result = await session.execute(
        update(Job)
        .where(Job.id == job.id, Job.claimed_by == job.token, Job.state == "RUNNING")
        .values(**changes)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise ClaimLost()


async def release(sessions: async_sessionmaker[AsyncSession], job: ClaimedJob) -> None:
    """Give the job back at shutdown, for any process to take up at once."""

    async def work(session: AsyncSession) -> None:
        await session.execute(
            update(Job)
            .where(Job.id == job.id, Job.claimed_by == job.token)
            .values(claimed_by=None, claimed_until=None)
        )

    await in_transaction(sessions, work)


async def finish(
    sessions: async_sessionmaker[AsyncSession],
    job: ClaimedJob,
    state: str,
    failure: str | None = None,
    **values: Any,
) -> None:
    """End the job in `state` if it is still ours (a cancelled job stays CANCELLED)."""

    async def work(session: AsyncSession) -> None:
        await session.execute(
            update(Job)
            .where(Job.id == job.id, Job.claimed_by == job.token, Job.state == "RUNNING")
            .values(
                state=state,
                failure=failure[:500] if failure else None,
                finished_at=datetime.now(UTC),
                claimed_by=None,
                claimed_until=None,
                **values,
            )
        )

    await in_transaction(sessions, work)


async def pass_failed(sessions: async_sessionmaker[AsyncSession], job: ClaimedJob) -> None:
    """Count a pass that ended in an unexpected error; the job is taken up again after a
    doubling pause, and fails after MAX_FAILED_PASSES of them."""

    async def work(session: AsyncSession) -> None:
        row = await session.get(Job, job.id, with_for_update=True)
        if row is None or row.claimed_by != job.token or row.state != "RUNNING":
            return
        row.failed_passes += 1
        row.claimed_by = None
        if row.failed_passes >= MAX_FAILED_PASSES:
            row.state = "FAILED"
            row.failure = "The job failed repeatedly on an internal error; see the server log."
            row.finished_at = datetime.now(UTC)
            row.claimed_until = None
            return
        pause = min(2.0**row.failed_passes, 60.0)
        row.claimed_until = datetime.now(UTC) + timedelta(seconds=pause)

    await in_transaction(sessions, work)
