"""Generic batch loaders over one table, keyed by a parent id."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from aiodataloader import DataLoader
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    FromClause,
    Row,
    Select,
    any_,
    bindparam,
    func,
    literal,
    select,
    tuple_,
)
from sqlalchemy.dialects.postgresql import ARRAY

from custgraph.db.reader import Reader


def key_in(column: ColumnElement[Any], keys: Sequence[int], dialect: str) -> ColumnElement[bool]:
    """`column IN keys`, written so that a statement's text does not vary with len(keys).

    On PostgreSQL `= ANY($1)` keeps one prepared statement for every page size.
    """
    if len(keys) == 1:
        return column == keys[0]
    if dialect == "postgresql":
        return column == any_(bindparam("keys", list(keys), type_=ARRAY(BigInteger())))
    return column.in_(list(keys))


def typed_tuple(columns: Sequence[ColumnElement[Any]], values: Sequence[Any]) -> Any:
    """A row value of bound parameters typed like `columns`.

    Keyset bounds must go through the columns' own types (money as hundredths,
    timestamps in SQLite's stored format) to compare like the stored values.
    """
    return tuple_(*(literal(v, type_=c.type) for c, v in zip(columns, values, strict=True)))


def group_by_key(rows: Sequence[Row[Any]], key: str, keys: Sequence[int]) -> list[list[Row[Any]]]:
    grouped: dict[int, list[Row[Any]]] = defaultdict(list)
    if rows:
        position = rows[0]._fields.index(key)  # by position: a mapping look-up per row costs
        for row in rows:
            grouped[row[position]].append(row)
    return [grouped.get(k, []) for k in keys]


class RowById(DataLoader[int, Row[Any] | None]):
    """One row per id (None when missing), from a statement that selects an `id` column."""

    def __init__(self, reader: Reader, statement: Select[Any]) -> None:
        super().__init__()
        self.reader = reader
        self.statement = statement

    async def batch_load_fn(self, keys: Sequence[int]) -> list[Row[Any] | None]:
        id_column = self.statement.selected_columns["id"]
        rows = await self.reader.all(
            self.statement.where(key_in(id_column, keys, self.reader.dialect))
        )
        by_id = {row.id: row for row in rows}
        return [by_id.get(k) for k in keys]


class RowsByParent(DataLoader[int, list[Row[Any]]]):
    """Every row of a small, bounded relation per parent id, in a fixed order."""

    def __init__(self, reader: Reader, statement: Select[Any], parent: str) -> None:
        super().__init__()
        self.reader = reader
        self.statement = statement
        self.parent = parent

    async def batch_load_fn(self, keys: Sequence[int]) -> list[list[Row[Any]]]:
        parent_column = self.statement.selected_columns[self.parent]
        rows = await self.reader.all(
            self.statement.where(key_in(parent_column, keys, self.reader.dialect))
        )
        return group_by_key(rows, self.parent, keys)


class NewestFirstPage(DataLoader[int, list[Row[Any]]]):
    """The newest `first + 1` rows per parent after a keyset position, in one statement.

    The extra row tells whether there is a next page. Several parents are served by a
    `row_number()` window partitioned by parent; a single parent by a plain LIMIT,
    which uses the (parent, sort, id) index directly.
    """

    def __init__(
        self,
        reader: Reader,
        table: FromClause,
        parent: str,
        sort: str,
        first: int,
        after: tuple[datetime, int] | None,
    ) -> None:
        super().__init__()
        self.reader = reader
        self.table = table
        self.parent = parent
        self.sort = sort
        self.limit = first + 1
        self.after = after

    async def batch_load_fn(self, keys: Sequence[int]) -> list[list[Row[Any]]]:
        table = self.table
        parent, sort, id_ = table.c[self.parent], table.c[self.sort], table.c.id
        condition = key_in(parent, keys, self.reader.dialect)
        if self.after is not None:
            condition = condition & (tuple_(sort, id_) < typed_tuple((sort, id_), self.after))
        if len(keys) == 1:
            statement = (
                select(table).where(condition).order_by(sort.desc(), id_.desc()).limit(self.limit)
            )
        else:
            position = (
                func.row_number()
                .over(partition_by=parent, order_by=(sort.desc(), id_.desc()))
                .label("position")
            )
            ranked = select(table, position).where(condition).subquery()
            statement = (
                select(*[ranked.c[c.name] for c in table.c])
                .where(ranked.c.position <= self.limit)
                .order_by(ranked.c[self.parent], ranked.c.position)
            )
        rows = await self.reader.all(statement)
        return group_by_key(rows, self.parent, keys)


class CountByParent(DataLoader[int, int]):
    """How many rows each parent has, in one grouped statement."""

    def __init__(self, reader: Reader, table: FromClause, parent: str) -> None:
        super().__init__()
        self.reader = reader
        self.table = table
        self.parent = parent

    async def batch_load_fn(self, keys: Sequence[int]) -> list[int]:
        parent = self.table.c[self.parent]
        rows = await self.reader.all(
            select(parent.label("parent"), func.count().label("n"))
            .where(key_in(parent, keys, self.reader.dialect))
            .group_by(parent)
        )
        counts: dict[int, int] = {row.parent: row.n for row in rows}
        return [counts.get(k, 0) for k in keys]
