"""Connections nested under a customer, loaded for all parents of a level at once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from strawberry.types import Info

from custgraph.api_errors import bad_request
from custgraph.loaders.cursor import decode_cursor, encode_cursor, parse_datetime, parse_int
from custgraph.loaders.registry import PAGED_RELATIONS
from custgraph.schema.pagination import Connection, build_connection, page_size

NodeT = TypeVar("NodeT")


def page_request(first: int | None, after: str | None) -> tuple[int, tuple[datetime, int] | None]:
    """Page size and keyset position of a newest-first connection; BAD_REQUEST when invalid."""
    size = page_size(first)
    if after is None:
        return size, None
    values = decode_cursor(after)
    if len(values) != 2:
        raise bad_request("`after` is not a cursor of this connection.")
    return size, (parse_datetime(values[0], "after"), parse_int(values[1], "after"))


async def newest_first(
    info: Info,
    relation: str,
    customer_id: int,
    first: int | None,
    after: str | None,
    build: Callable[[Any], NodeT],
) -> Connection[NodeT]:
    """A page of `relation` for one customer, newest first, through the shared loaders."""
    size, position = page_request(first, after)
    loaders = info.context.loaders
    rows = await loaders.page(relation, size, position).load(customer_id)
    _, sort = PAGED_RELATIONS[relation]
    page = rows[:size]

    async def count() -> int:
        return int(await loaders.count(relation).load(customer_id))

    return build_connection(
        [build(r) for r in page],
        [encode_cursor(r._mapping[sort], r.id) for r in page],
        has_next_page=len(rows) > size,
        has_previous_page=after is not None,
        count=count,
    )
