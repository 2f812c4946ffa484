"""A webhook subscription's deliveries and log, a page at a time.

The schema's types pass their own builders, so that this module, which they call, never
imports them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, TypeVar

from sqlalchemy import Table
from strawberry.types import Info

from custgraph.db.models import WebhookDelivery as DeliveryRow
from custgraph.db.models import WebhookLogEntry as LogRow
from custgraph.loaders.batch import CountByParent, NewestFirstPage
from custgraph.loaders.cursor import encode_cursor
from custgraph.resolvers.nested import page_request
from custgraph.schema.pagination import Connection, build_connection

NodeT = TypeVar("NodeT")

_DELIVERIES: Table = DeliveryRow.__table__  # type: ignore[assignment]
_LOG: Table = LogRow.__table__  # type: ignore[assignment]


async def resolve_page(
    info: Info,
    of: Literal["deliveries", "log"],
    subscription_id: int,
    first: int | None,
    after: str | None,
    build: Callable[[Any], NodeT],
) -> Connection[NodeT]:
    """A page of a subscription's deliveries or of its log."""
    table = _DELIVERIES if of == "deliveries" else _LOG
    return await _newest_first(info, table, subscription_id, first, after, build)


async def _newest_first(
    info: Info,
    table: Table,
    subscription_id: int,
    first: int | None,
    after: str | None,
    build: Callable[[Any], NodeT],
) -> Connection[NodeT]:
    """A page of `table` under one subscription, newest first; the subscriptions of a
    list share one statement per page shape (a window function per subscription), as
    the customers' nested connections do."""
    size, position = page_request(first, after)
    loaders: dict[Any, Any] = info.context.area_loaders.setdefault("webhooks", {})
    shape = (table.name, size, position)
    pages = loaders.get(shape)
    if pages is None:
        pages = loaders[shape] = NewestFirstPage(
            info.context.reader, table, "subscription_id", "created_at", size, position
        )
    counts = loaders.get(table.name)
    if counts is None:
        counts = loaders[table.name] = CountByParent(info.context.reader, table, "subscription_id")
    rows = await pages.load(subscription_id)
    page = rows[:size]

    async def count() -> int:
        return int(await counts.load(subscription_id))

    return build_connection(
        [build(r) for r in page],
        [encode_cursor(r.created_at, r.id) for r in page],
        has_next_page=len(rows) > size,
        has_previous_page=after is not None,
        count=count,
    )
