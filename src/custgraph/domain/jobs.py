"""Asking for bulk actions and exports, and cancelling them; jobs/ runs them."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from custgraph.db.models import Job
from custgraph.db.models.jobs import OPEN_JOB_STATES
from custgraph.domain.bulk_operations import OPERATIONS
from custgraph.domain.caller import Caller
from custgraph.domain.errors import DomainError
from custgraph.domain.job_selection import Selection, add_items, refuse_too_many
from custgraph.domain.transaction import in_transaction
from custgraph.settings import Settings

ERROR_POLICIES = ("STOP_ON_ERROR", "SKIP_FAILED")
EXPORT = "EXPORT"


@dataclass(frozen=True)
class StartedJob:
    job_id: int
    total: int
    # Set when the selection is small enough that the request runs the job itself: the
    # job is already claimed for it (jobs/claim.py), so no worker takes it meanwhile.
    claim: str | None


def _job(caller: Caller, operation: str, arguments: dict[str, Any], selection: str) -> Job:
    return Job(
        operation=operation,
        arguments=arguments,
        selection=selection,
        state="QUEUED",
        total_count=0,
        processed_count=0,
        succeeded_count=0,
        failed_count=0,
        owner_type=caller.actor.type,
        owner_id=caller.actor.id,
        owner_label=caller.actor.label,
        principal_key=caller.principal_key,
        request_id=caller.request_id,
        failed_passes=0,
    )


async def start_bulk_action(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    caller: Caller,
    operation: str,
    selection: Selection,
    arguments: dict[str, Any],
    *,
    error_policy: str = "SKIP_FAILED",
) -> StartedJob:
    """Record a bulk action over the selection's customers, each a pending item.

    The arguments are checked as the single mutation would check them (INVALID and the
    like on their field). At most `bulk_max_ids` ids and `bulk_max_selection` customers
    (INVALID on `selection`). A selection of at most `bulk_inline_max` customers comes
    back claimed, for the caller to run at once; a larger one waits for a worker.
    """
    action = OPERATIONS[operation]
    if error_policy not in ERROR_POLICIES:
        raise DomainError("INVALID", f"Unknown error policy {error_policy}.", ["errorPolicy"])
    if selection.ids is not None and len(selection.ids) > settings.bulk_max_ids:
        raise DomainError(
            "INVALID",
            f"Name at most {settings.bulk_max_ids} ids, or select by filter.",
            ["selection", "ids"],
        )

    async def work(session: AsyncSession) -> StartedJob:
        checked = await action.check(session, arguments)
        job = _job(caller, operation, checked, selection.describe())
        job.error_policy = error_policy
        job.required_permissions = [action.permission.value]
        session.add(job)
        await session.flush()
        total = await add_items(session, job.id, selection)
        refuse_too_many(total, settings.bulk_max_selection)
        job.total_count = total
        claim = None
        if total <= settings.bulk_inline_max:
            claim = _claim_now(job, settings)
        return StartedJob(job.id, total, claim)

    return await in_transaction(sessions, work)


def _claim_now(job: Job, settings: Settings) -> str:
    now = datetime.now(UTC)
    job.claimed_by = uuid.uuid4().hex
    job.claimed_until = now + timedelta(seconds=settings.job_lease_seconds)
    job.state = "RUNNING"
    job.started_at = now
    return job.claimed_by


async def start_export(
    sessions: async_sessionmaker[AsyncSession],
    caller: Caller,
    arguments: dict[str, Any],
    selection: str,
    required_permissions: Sequence[str],
) -> int:
    """Queue an export of the customer list; a worker writes the file. `arguments` hold
    the format, columns, sort and filter (jobs/exports.py reads them); the permissions
    are those its columns need, which the caller was checked for. Returns the job's id."""

    async def work(session: AsyncSession) -> int:
        job = _job(caller, EXPORT, arguments, selection)
        job.error_policy = "STOP_ON_ERROR"
        job.required_permissions = list(required_permissions)
        session.add(job)
        await session.flush()
        return job.id

    return await in_transaction(sessions, work)


async def cancel_job(sessions: async_sessionmaker[AsyncSession], job_id: int) -> int:
    """Stop a queued or running job: what it did stays done, the rest is not attempted.

    NOT_ALLOWED once the job has ended. Returns the job's id.
    """

    async def work(session: AsyncSession) -> int:
        job = await session.get(Job, job_id, with_for_update=True)
        if job is None:
            raise DomainError("NOT_FOUND", "Job not found.", ["jobId"])
        if job.state not in OPEN_JOB_STATES:
            raise DomainError("NOT_ALLOWED", f"The job has ended ({job.state}).", ["jobId"])
        # The worker's next step finds the job no longer RUNNING and stops (jobs/claim.py).
        job.state = "CANCELLED"
        job.finished_at = datetime.now(UTC)
        job.claimed_by = None
        return job_id

    return await in_transaction(sessions, work)
