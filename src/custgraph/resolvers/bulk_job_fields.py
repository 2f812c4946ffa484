"""A bulk job's nested fields: its refused customers a page at a time, and its file's
signed download link.

The schema's types pass their own builders, so that this module, which they call, never
imports them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import strawberry
from sqlalchemy import select
from strawberry.types import Info

from custgraph.db.models import Job, JobItem
from custgraph.exports.links import download_link
from custgraph.global_id import encode_global_id
from custgraph.loaders.cursor import decode_cursor, encode_cursor, parse_int
from custgraph.schema.pagination import Connection, build_connection, page_size
from custgraph.schema.user_errors import UserError, UserErrorCode

FailureT = TypeVar("FailureT")


def item_error(item: Any) -> UserError:
    """A refused customer's userError, as the job recorded it."""
    return UserError(
        field=item.error_field,
        message=item.error_message or "",
        code=UserErrorCode(item.error_code),
    )


async def resolve_failures(
    info: Info,
    job_id: int,
    first: int | None,
    after: str | None,
    build: Callable[[strawberry.ID, UserError], FailureT],
) -> Connection[FailureT]:
    size = page_size(first)
    statement = (
        select(JobItem.__table__)
        .where(JobItem.job_id == job_id, JobItem.state == "FAILED")
        .order_by(JobItem.customer_id)
    )
    if after is not None:
        [position] = decode_cursor(after, "after")
        statement = statement.where(JobItem.customer_id > parse_int(position, "after"))
    rows = list(await info.context.reader.all(statement.limit(size + 1)))
    more, rows = len(rows) > size, rows[:size]
    failures = [
        build(strawberry.ID(encode_global_id("Customer", r.customer_id)), item_error(r))
        for r in rows
    ]

    async def count() -> int:
        job = await info.context.reader.all(select(Job.failed_count).where(Job.id == job_id))
        return int(job[0][0]) if job else 0

    return build_connection(
        failures,
        [encode_cursor(r.customer_id) for r in rows],
        has_next_page=more,
        has_previous_page=after is not None,
        count=count,
    )


def _link(info: Info, job_id: int) -> tuple[str, datetime]:
    # One link per job and request, so that `url` and `urlExpiresAt` agree.
    links: dict[int, tuple[str, datetime]] = info.context.area_loaders.setdefault("links", {})
    if job_id not in links:
        links[job_id] = download_link(info.context.settings, job_id, datetime.now(UTC))
    return links[job_id]


def download_url(info: Info, job_id: int, state: str) -> str | None:
    return _link(info, job_id)[0] if state == "COMPLETED" else None


def download_url_expiry(info: Info, job_id: int, state: str) -> datetime | None:
    return _link(info, job_id)[1] if state == "COMPLETED" else None
