"""The job loop: in every server process, taking up queued and abandoned jobs one at a time."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from custgraph.domain.jobs import EXPORT
from custgraph.exports.storage import remove_expired_files
from custgraph.jobs.actions import run_bulk_action
from custgraph.jobs.claim import ClaimedJob, claim_next, pass_failed
from custgraph.jobs.exports import run_export
from custgraph.settings import Settings

logger = logging.getLogger(__name__)

# Expired export files are looked for this often (a cheap indexed query).
CLEANUP_SECONDS = 60.0
# At shutdown the job in hand gets this long to reach a point where it can give the job
# back; cancelled after it, the job's lease lapses and another process takes it up.
STOP_GRACE_SECONDS = 5.0


async def run_claimed(
    sessions: async_sessionmaker[AsyncSession],
    engine: AsyncEngine,
    settings: Settings,
    job: ClaimedJob,
    stop: asyncio.Event | None = None,
) -> None:
    """Run a job this process holds; an unexpected error is logged and counted against
    the job, which is taken up again after a pause."""
    try:
        if job.operation == EXPORT:
            await run_export(sessions, engine, settings, job, stop)
        else:
            await run_bulk_action(sessions, settings, job, stop)
    except Exception:
        logger.exception("job %s (%s): the pass failed", job.id, job.operation)
        with contextlib.suppress(Exception):
            await pass_failed(sessions, job)


async def run_next_job(
    sessions: async_sessionmaker[AsyncSession],
    engine: AsyncEngine,
    settings: Settings,
    stop: asyncio.Event | None = None,
) -> bool:
    """Take up one open job and run it; False when there was none."""
    job = await claim_next(sessions, settings.job_lease_seconds)
    if job is None:
        return False
    logger.info("job %s (%s): running", job.id, job.operation)
    await run_claimed(sessions, engine, settings, job, stop)
    return True


async def run_job_loop(
    sessions: async_sessionmaker[AsyncSession],
    engine: AsyncEngine,
    settings: Settings,
    stop: asyncio.Event,
    wakeup: asyncio.Event | None = None,
) -> None:
    """Run open jobs until `stop` is set, looking every `job_interval_seconds` (at once
    when `wakeup` is set: a job was just asked for in this process)."""
    interval = settings.job_interval_seconds
    cleaned = 0.0
    logger.info("job worker started (every %g s)", interval)
    while not stop.is_set():
        ran = False
        try:
            ran = await run_next_job(sessions, engine, settings, stop)
            if time.monotonic() - cleaned > CLEANUP_SECONDS:
                cleaned = time.monotonic()
                removed = await remove_expired_files(sessions, datetime.now(UTC))
                if removed:
                    logger.info("removed %d expired export file(s)", removed)
        except Exception:
            logger.exception("job worker pass failed; trying again in %g s", interval)
        if ran:
            continue
        await _pause(stop, wakeup, interval)
    logger.info("job worker stopped")


async def _pause(stop: asyncio.Event, wakeup: asyncio.Event | None, interval: float) -> None:
    waits = [asyncio.ensure_future(stop.wait())]
    if wakeup is not None:
        waits.append(asyncio.ensure_future(wakeup.wait()))
    try:
        await asyncio.wait(waits, timeout=interval, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiting in waits:
            waiting.cancel()
    if wakeup is not None:
        wakeup.clear()


async def stop_job_loop(task: asyncio.Task[None]) -> None:
    """Wait for a loop whose `stop` is set, cancelling it after STOP_GRACE_SECONDS."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(task, STOP_GRACE_SECONDS)


async def run_jobs_until_idle(
    sessions: async_sessionmaker[AsyncSession], engine: AsyncEngine, settings: Settings
) -> int:
    """Run open jobs until none is left to take up; returns how many ran (tests, CLI)."""
    ran = 0
    while await run_next_job(sessions, engine, settings):
        ran += 1
    return ran
