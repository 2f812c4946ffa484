"""Connections nested under a customer, loaded for all parents of a level at once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from strawberry.types import Info

from custgraph.loaders.cursor import decode_cursor, encode_cursor, parse_datetime, parse_int
from custgraph.loaders.registry import PAGED_RELATIONS
from custgraph.schema.errors import bad_request
from custgraph.schema.pagination import Connection, build_connection, page_size

NodeT = TypeVar("NodeT")


async def newest_first(
    info: Info,
    relation: str,
    customer_id: int,
    first: int | None,
    after: str | None,
    build: Callable[[Any], NodeT],
) -> Connection[NodeT]:
    """A page of `relation` for one customer, newest first, through the shared loaders."""
    size = page_size(first)
    position = None
    if after is not None:
        values = decode_cursor(after)
        if len(values) != 2:
            raise bad_request("`after` is not a cursor of this connection.")
        position = (parse_datetime(values[0], "after"), parse_int(values[1], "after"))
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
