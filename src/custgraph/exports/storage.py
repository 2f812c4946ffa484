"""Export files kept in the database, in chunks: written once, streamed out, removed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from custgraph.db.models import ExportChunk, Job
from custgraph.domain.transaction import in_transaction

# One chunk per statement: large enough for few round trips, small enough that neither
# the writer nor a download ever holds more than this of a file in memory.
CHUNK_SIZE = 1024 * 1024


async def store_file(session: AsyncSession, job_id: int, path: Path) -> tuple[int, int]:
    """Replace the job's stored file with the one at `path`; returns (bytes, chunks)."""
    await session.execute(delete(ExportChunk).where(ExportChunk.job_id == job_id))
    size = chunks = 0
    with path.open("rb") as file:
        while data := file.read(CHUNK_SIZE):
            await session.execute(insert(ExportChunk).values(job_id=job_id, seq=chunks, data=data))
            size += len(data)
            chunks += 1
    return size, chunks


async def file_chunks(engine: AsyncEngine, job_id: int, chunks: int) -> AsyncIterator[bytes]:
    """The stored file, chunk by chunk, each read on a connection taken for it alone (a
    slow download does not hold a pooled connection while the client reads)."""
    for seq in range(chunks):
        async with engine.connect() as connection:
            data = await connection.scalar(
                select(ExportChunk.data).where(ExportChunk.job_id == job_id, ExportChunk.seq == seq)
            )
        if data is None:  # removed meanwhile (expired): the response ends short
            return
        yield bytes(data)


async def remove_expired_files(sessions: async_sessionmaker[AsyncSession], now: datetime) -> int:
    """Remove the files of finished exports past their retention; their jobs become EXPIRED.
    Returns how many were removed."""

    async def work(session: AsyncSession) -> int:
        expired = list(
            await session.scalars(
                select(Job.id)
                .where(Job.state == "COMPLETED", Job.expires_at.is_not(None), Job.expires_at <= now)
                .limit(100)
            )
        )
        if not expired:
            return 0
        await session.execute(delete(ExportChunk).where(ExportChunk.job_id.in_(expired)))
        await session.execute(
            update(Job)
            .where(Job.id.in_(expired))
            .values(state="EXPIRED", file_size=None, file_chunks=None)
        )
        return len(expired)

    return await in_transaction(sessions, work)
