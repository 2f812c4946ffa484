"""Relations under a customer, loaded for all customers of a level through the loaders."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from graphql import FieldNode, GraphQLField
from graphql.execution.values import get_argument_values

from custgraph.fastpath.plan import (
    ConnectionPlan,
    Fallback,
    ObjectPlan,
    Page,
    Path,
    Relation,
    Run,
    arguments_use_variables,
    complete_connections,
    complete_objects,
)
from custgraph.loaders.cursor import encode_cursor
from custgraph.loaders.registry import PAGED_RELATIONS
from custgraph.resolvers.nested import page_request


@dataclass
class RowList(Relation):
    """A small list loaded whole (addresses, gift cards), or the one row of it that has
    `pick` set (the default billing or shipping address)."""

    key: str
    loader: str
    plan: ObjectPlan
    pick: str | None = None

    def batch_key(self, run: Run) -> Any:
        return self.loader

    async def complete(self, sources: Sequence[Any], paths: Sequence[Path], run: Run) -> list[Any]:
        loader = getattr(run.context.loaders, self.loader)
        groups = await loader.load_all([s.id for s in sources])
        if self.pick is not None:
            picked = [next((r for r in rows if getattr(r, self.pick)), None) for rows in groups]
            present = [i for i, r in enumerate(picked) if r is not None]
            done = await complete_objects(
                self.plan,
                [picked[i] for i in present],
                [(*paths[i], self.key) for i in present],
                run,
            )
            out: list[Any] = [None] * len(sources)
            for i, value in zip(present, done, strict=True):
                out[i] = value
            return out
        rows: list[Any] = []
        row_paths: list[Path] = []
        for group, path in zip(groups, paths, strict=True):
            rows.extend(group)
            row_paths.extend((*path, self.key, j) for j in range(len(group)))
        done = await complete_objects(self.plan, rows, row_paths, run)
        result, offset = [], 0
        for group in groups:
            result.append(done[offset : offset + len(group)])
            offset += len(group)
        return result


def _cursor(rows: Sequence[Any], sort: str, index: int) -> str:
    row = rows[index]
    return encode_cursor(getattr(row, sort), row.id)


@dataclass
class NewestFirst(Relation):
    """A newest-first connection (orders, ledgers, notes) with `first` and `after`."""

    key: str
    relation: str
    field: GraphQLField
    node: FieldNode
    plan: ConnectionPlan

    # The request made once when the document writes the arguments out (no variables).
    fixed: tuple[int, Any, bool] | None = dataclasses.field(default=None, init=False)

    def page_request(self, run: Run) -> tuple[int, Any, bool]:
        """Page size, keyset position and whether a cursor was given."""
        if self.fixed is not None:
            return self.fixed
        arguments = get_argument_values(self.field, self.node, run.variables)
        try:
            size, position = page_request(arguments.get("first"), arguments.get("after"))
        except Exception as error:
            raise Fallback from error  # the general path reports the bad argument
        request = (size, position, arguments.get("after") is not None)
        if not arguments_use_variables(self.node):
            self.fixed = request
        return request

    def batch_key(self, run: Run) -> Any:
        size, position, _ = self.page_request(run)
        return (self.relation, size, position)

    async def complete(self, sources: Sequence[Any], paths: Sequence[Path], run: Run) -> list[Any]:
        size, position, has_previous = self.page_request(run)
        loaders = run.context.loaders
        ids = [s.id for s in sources]
        groups = await loaders.page(self.relation, size, position).load_all(ids)
        _, sort = PAGED_RELATIONS[self.relation]
        pages = [
            Page(
                rows[:size],
                partial(_cursor, rows, sort),
                len(rows) > size,
                has_previous,
            )
            for rows in groups
        ]

        async def counts() -> list[int]:
            return [int(n) for n in await loaders.count(self.relation).load_all(ids)]

        return await complete_connections(
            self.plan, pages, [(*p, self.key) for p in paths], run, counts
        )
