"""Running a bulk action: each pending customer in its own transaction, resumably.

A customer's outcome is written in the same transaction as the action on it (the
transaction's rider, domain/transaction.py), so a job killed at any point has applied
each action exactly once for the customers it marked, and none for the others: when
taken up again it continues with the pending ones.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from custgraph.db.models import JobItem
from custgraph.domain.bulk_operations import OPERATIONS
from custgraph.domain.errors import DomainError
from custgraph.domain.transaction import in_transaction, riding
from custgraph.jobs.claim import ClaimedJob, ClaimLost, finish, release, renew
from custgraph.jobs.owner import owner_refusal
from custgraph.settings import Settings

logger = logging.getLogger(__name__)

BATCH_SIZE = 100


async def _pending(sessions: async_sessionmaker[AsyncSession], job: ClaimedJob) -> list[int]:
    async with sessions() as session:
        refusal = await owner_refusal(session, job)
        if refusal is not None:
            raise OwnerRefused(refusal)
        return list(
            await session.scalars(
                select(JobItem.customer_id)
                .where(JobItem.job_id == job.id, JobItem.state == "PENDING")
                .order_by(JobItem.customer_id)
                .limit(BATCH_SIZE)
            )
        )


class OwnerRefused(Exception):
    pass


async def _mark(
    session: AsyncSession,
    job: ClaimedJob,
    customer_id: int,
    lease_seconds: float,
    error: DomainError | None = None,
) -> None:
    result = await session.execute(
        update(JobItem)
        .where(
            JobItem.job_id == job.id,
            JobItem.customer_id == customer_id,
            JobItem.state == "PENDING",
        )
        .values(
            state="FAILED" if error else "SUCCEEDED",
            error_code=error.code if error else None,
            error_field=error.field if error else None,
            error_message=error.message[:500] if error else None,
            finished_at=datetime.now(UTC),
        )
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise ClaimLost()  # another worker got there first
    counter = "failed_count" if error else "succeeded_count"
    await renew(session, job, lease_seconds, add={"processed_count": 1, counter: 1})


async def run_bulk_action(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    job: ClaimedJob,
    stop: asyncio.Event | None = None,
) -> None:
    """Apply the job's action to its pending customers until none is left, the error
    policy stops it, or the claim is lost (then it returns: someone else has the job).
    Once `stop` is set (shutdown), it gives the job back after the current customer."""
    operation = OPERATIONS[job.operation]
    lease = settings.job_lease_seconds
    try:
        while ids := await _pending(sessions, job):
            for customer_id in ids:
                if stop is not None and stop.is_set():
                    await release(sessions, job)
                    return
                try:
                    with riding(
                        functools.partial(
                            _mark, job=job, customer_id=customer_id, lease_seconds=lease
                        )
                    ):
                        await operation.apply(
                            sessions, settings, job.caller, customer_id, job.arguments
                        )
                except DomainError as error:
                    await in_transaction(
                        sessions,
                        functools.partial(
                            _mark,
                            job=job,
                            customer_id=customer_id,
                            lease_seconds=lease,
                            error=error,
                        ),
                    )
                    if job.error_policy == "STOP_ON_ERROR":
                        await finish(sessions, job, "STOPPED", error.message)
                        return
        await finish(sessions, job, "COMPLETED")
    except OwnerRefused as refusal:
        await finish(sessions, job, "FAILED", str(refusal))
    except ClaimLost:
        logger.info("bulk job %s: no longer ours (cancelled or taken up elsewhere)", job.id)
