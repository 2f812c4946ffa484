"""Running an export: the list written to a file in a temporary folder, then stored.

A killed export is started again from the beginning when taken up (the file is
rewritten whole; nothing of a half-written one is ever served).
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from custgraph.db.models import Job
from custgraph.db.reader import Reader
from custgraph.domain.job_selection import filter_from_json
from custgraph.domain.transaction import in_transaction
from custgraph.exports.columns import columns_named
from custgraph.exports.formats import EXTENSIONS, ExportFormat
from custgraph.exports.produce import ExportRequest, count_rows, write_export
from custgraph.exports.storage import store_file
from custgraph.jobs.claim import ClaimedJob, ClaimLost, finish, release, renew
from custgraph.jobs.owner import owner_refusal
from custgraph.settings import Settings

logger = logging.getLogger(__name__)


class _Stopping(Exception):
    pass


def export_request(job: ClaimedJob, now: datetime) -> ExportRequest:
    arguments = job.arguments
    when = now.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return ExportRequest(
        format=ExportFormat(arguments["format"]),
        columns=columns_named(arguments["columns"]),
        filter=filter_from_json(arguments.get("filter") or {}),
        sort=arguments.get("sort", "REFERENCE"),
        descending=bool(arguments.get("descending", False)),
        title="Customers",
        subtitle=f"{job.selection} — exported {when} by {job.caller.actor.label}",
    )


async def run_export(
    sessions: async_sessionmaker[AsyncSession],
    engine: AsyncEngine,
    settings: Settings,
    job: ClaimedJob,
    stop: asyncio.Event | None = None,
) -> None:
    """Write the job's export and store it for download; see the module's docstring."""
    lease = settings.job_lease_seconds
    async with sessions() as session:
        refusal = await owner_refusal(session, job)
    if refusal is not None:
        await finish(sessions, job, "FAILED", refusal)
        return
    request = export_request(job, datetime.now(UTC))

    async def progress(rows: int) -> None:
        if stop is not None and stop.is_set():
            raise _Stopping()
        await in_transaction(
            sessions, lambda s: renew(s, job, lease, values={"processed_count": rows})
        )

    reader = Reader(engine)
    try:
        with tempfile.TemporaryDirectory(prefix="custgraph-export-") as folder:
            path = Path(folder) / f"export.{EXTENSIONS[request.format]}"
            total = await count_rows(reader, request)
            await in_transaction(
                sessions,
                lambda s: renew(s, job, lease, values={"total_count": total, "processed_count": 0}),
            )
            rows = await write_export(reader, request, path, settings.currency, progress)
            await reader.close()
            await in_transaction(sessions, lambda s: _store(s, job, path, rows, settings))
    except _Stopping:
        await release(sessions, job)
    except ClaimLost:
        logger.info("export job %s: no longer ours (cancelled or taken up elsewhere)", job.id)
    finally:
        await reader.close()


async def _store(
    session: AsyncSession, job: ClaimedJob, path: Path, rows: int, settings: Settings
) -> None:
    await renew(session, job, settings.job_lease_seconds)  # still ours: not cancelled
    size, chunks = await store_file(session, job.id, path)
    now = datetime.now(UTC)
    await session.execute(
        update(Job)
        .where(Job.id == job.id)
        .values(
            state="COMPLETED",
            total_count=rows,
            processed_count=rows,
            succeeded_count=rows,
            file_size=size,
            file_chunks=chunks,
            finished_at=now,
            expires_at=now + timedelta(seconds=settings.export_retention_seconds),
            claimed_by=None,
            claimed_until=None,
        )
    )
