"""Cursor connections (Relay) and the limits on page sizes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

import strawberry

from custgraph.api_errors import bad_request

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100

NodeT = TypeVar("NodeT")


@strawberry.type(description="Where a page stands in its connection.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="More items follow this page.")
    has_previous_page: bool = strawberry.field(
        description="Items precede this page (known when paging with `after` or `last`)."
    )
    start_cursor: str | None = strawberry.field(description="Cursor of the first item.")
    end_cursor: str | None = strawberry.field(description="Cursor of the last item.")


@strawberry.type(description="An item of a connection with its cursor.")
class Edge(Generic[NodeT]):
    cursor: str = strawberry.field(description="Pass as `after` to page on from this item.")
    node: NodeT = strawberry.field(description="The item.")


@strawberry.type(description="A page of items with cursors and the total count.")
class Connection(Generic[NodeT]):
    edges: list[Edge[NodeT]] = strawberry.field(description="The items with their cursors.")
    nodes: list[NodeT] = strawberry.field(description="The items alone.")
    page_info: PageInfo = strawberry.field(description="How to page on.")
    count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="How many items the whole connection holds.")
    async def total_count(self) -> int:
        return await self.count()


def page_size(first: int | None, last: int | None = None) -> int:
    """The page size asked for: `first` or `last`, 20 by default, 0 to 100."""
    if first is not None and last is not None:
        raise bad_request("Pass `first` or `last`, not both.")
    size = first if first is not None else last
    argument = "first" if first is not None else "last"
    if size is None:
        return DEFAULT_PAGE_SIZE
    if size < 0 or size > MAX_PAGE_SIZE:
        raise bad_request(
            f"`{argument}` must be between 0 and {MAX_PAGE_SIZE}; {size} was given.",
            argument=argument,
            maximum=MAX_PAGE_SIZE,
        )
    return size


def build_connection(
    nodes: Sequence[NodeT],
    cursors: Sequence[str],
    *,
    has_next_page: bool,
    has_previous_page: bool,
    count: Callable[[], Awaitable[int]],
) -> Connection[NodeT]:
    return Connection(
        edges=[Edge(cursor=c, node=n) for c, n in zip(cursors, nodes, strict=True)],
        nodes=list(nodes),
        page_info=PageInfo(
            has_next_page=has_next_page,
            has_previous_page=has_previous_page,
            start_cursor=cursors[0] if cursors else None,
            end_cursor=cursors[-1] if cursors else None,
        ),
        count=count,
    )
