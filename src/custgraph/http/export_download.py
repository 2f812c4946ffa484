"""`GET /exports/{id}`: an export's file, streamed, through its signed link."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from custgraph.db.models import Job
from custgraph.exports.formats import EXTENSIONS, MEDIA_TYPES, ExportFormat
from custgraph.exports.links import link_is_valid
from custgraph.exports.storage import file_chunks
from custgraph.settings import Settings

Endpoint = Callable[[Request], Awaitable[Response]]


def _refusal(status: int, message: str) -> Response:
    return JSONResponse(
        {"error": message}, status_code=status, headers={"Cache-Control": "no-store"}
    )


def export_download(engine: AsyncEngine, settings: Settings) -> Endpoint:
    """The endpoint: 403 for a link that is not the server's or has expired, 404 for an
    export that does not exist or is not written yet, 410 once its file was removed."""

    async def download(request: Request) -> Response:
        job_id: int = request.path_params["job_id"]
        now = datetime.now(UTC)
        query = request.query_params
        if not link_is_valid(settings, job_id, query.get("expires"), query.get("signature"), now):
            return _refusal(403, "The link is invalid or has expired; ask `bulkJob` for a new one.")
        async with engine.connect() as connection:
            job = (
                await connection.execute(
                    select(
                        Job.operation,
                        Job.state,
                        Job.arguments,
                        Job.file_size,
                        Job.file_chunks,
                        Job.created_at,
                        Job.expires_at,
                    ).where(Job.id == job_id)
                )
            ).first()
        if job is None or job.operation != "EXPORT":
            return _refusal(404, "No such export.")
        if job.state == "EXPIRED" or (job.expires_at is not None and job.expires_at <= now):
            return _refusal(410, "The export's file has expired and was removed.")
        if job.state != "COMPLETED" or job.file_chunks is None:
            return _refusal(404, "The export's file is not written yet.")
        fmt = ExportFormat(job.arguments["format"])
        name = f"customers-{job.created_at:%Y%m%d-%H%M}-{job_id}.{EXTENSIONS[fmt]}"
        return StreamingResponse(
            file_chunks(engine, job_id, job.file_chunks),
            media_type=MEDIA_TYPES[fmt],
            headers={
                "Content-Disposition": f'attachment; filename="{name}"',
                "Content-Length": str(job.file_size),
                "Cache-Control": "no-store",
                "X-Content-Type-Options": "nosniff",
            },
        )

    return download
