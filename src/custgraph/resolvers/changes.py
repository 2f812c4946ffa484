"""The change feed (`customerChanges`): a page of changes after a sequence number."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from strawberry.types import Info

from custgraph.api_errors import bad_request
from custgraph.db.models import CustomerChange as ChangeRow
from custgraph.schema.changes import CustomerChange
from custgraph.schema.pagination import Connection, build_connection, page_size


def _after(after: str | None) -> int:
    if after is None:
        return 0
    if not after.isdigit() or len(after) > 19:
        raise bad_request("`after` is a sequence number from this feed.", argument="after")
    return int(after)


async def resolve_customer_changes(
    info: Info, first: int | None, after: str | None
) -> Connection[CustomerChange]:
    """Changes with a sequence above `after`, oldest first; the cursor is the sequence."""
    principal = info.context.principal  # `customers:read`, declared on the field
    size = page_size(first)
    since = _after(after)
    reader = info.context.reader
    rows: list[Any] = list(
        await reader.all(
            select(ChangeRow)
            .where(ChangeRow.sequence > since)
            .order_by(ChangeRow.sequence)
            .limit(size + 1)
        )
    )
    more = len(rows) > size
    rows = rows[:size]

    async def count() -> int:
        total = await reader.scalar(
            select(func.count()).select_from(ChangeRow).where(ChangeRow.sequence > since)
        )
        return int(total or 0)

    changes = [CustomerChange.from_row(row, principal.can) for row in rows]
    return build_connection(
        changes,
        [str(row.sequence) for row in rows],
        has_next_page=more,
        has_previous_page=since > 0,
        count=count,
    )
