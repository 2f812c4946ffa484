"""Generic batch loaders over one table, keyed by a parent id."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    FromClause,
    Integer,
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

from custgraph.db.direct import direct
from custgraph.db.reader import Reader
from custgraph.loaders.whole_batch import TickDispatch, WholeLevelLoads


def _keys_condition(column: ColumnElement[Any], many: bool, dialect: str) -> ColumnElement[bool]:
    """`column IN :keys` (or `= :key`) with the keys bound at execution; on PostgreSQL
    `= ANY($1)`, so that one prepared statement serves every page size."""
    if not many:
        return column == bindparam("key", type_=BigInteger())
    if dialect == "postgresql":
        return column == any_(bindparam("keys", type_=ARRAY(BigInteger())))
    return column.in_(bindparam("keys", expanding=True))


def _key_params(keys: Sequence[int]) -> dict[str, Any]:
    return {"key": keys[0]} if len(keys) == 1 else {"keys": list(keys)}


# Statements with their keys left as parameters, built once per shape: building and hashing
# a statement per batch measured as much CPU as running it.
_STATEMENTS: dict[tuple[Any, ...], Select[Any]] = {}


def _by_keys(statement: Select[Any], column: str, many: bool, dialect: str) -> Select[Any]:
    shape = (id(statement), column, many, dialect)
    built = _STATEMENTS.get(shape)
    if built is None:
        condition = _keys_condition(statement.selected_columns[column], many, dialect)
        built = _STATEMENTS[shape] = direct(statement.where(condition))
    return built


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


class RowById(TickDispatch[Row[Any] | None]):
    """One row per id (None when missing), from a statement that selects an `id` column."""

    def __init__(self, reader: Reader, statement: Select[Any]) -> None:
        super().__init__()
        self.reader = reader
        self.statement = statement

    async def batch_load_fn(self, keys: Sequence[int]) -> list[Row[Any] | None]:
        statement = _by_keys(self.statement, "id", len(keys) > 1, self.reader.dialect)
        rows = await self.reader.all(statement, _key_params(keys))
        by_id = {row.id: row for row in rows}
        return [by_id.get(k) for k in keys]


class RowsByParent(WholeLevelLoads[list[Row[Any]]]):
    """Every row of a small, bounded relation per parent id, in a fixed order."""

    def __init__(self, reader: Reader, statement: Select[Any], parent: str) -> None:
        super().__init__()
        self.reader = reader
        self.statement = statement
        self.parent = parent

    async def batch_load_fn(self, keys: Sequence[int]) -> list[list[Row[Any]]]:
        statement = _by_keys(self.statement, self.parent, len(keys) > 1, self.reader.dialect)
        rows = await self.reader.all(statement, _key_params(keys))
        return group_by_key(rows, self.parent, keys)


class NewestFirstPage(WholeLevelLoads[list[Row[Any]]]):
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
        many = len(keys) > 1
        statement = _page_statement(
            self.table, self.parent, self.sort, many, self.after is not None, self.reader.dialect
        )
        params = {**_key_params(keys), "limit": self.limit}
        if self.after is not None:
            params["after_sort"], params["after_id"] = self.after
        rows = await self.reader.all(statement, params)
        return group_by_key(rows, self.parent, keys)


@cache
def _page_statement(
    table: FromClause, parent_name: str, sort_name: str, many: bool, after: bool, dialect: str
) -> Select[Any]:
    """The page statement of one shape, its keys, limit and position left as parameters."""
    parent, sort, id_ = table.c[parent_name], table.c[sort_name], table.c.id
    condition = _keys_condition(parent, many, dialect)
    if after:
        bound = tuple_(
            bindparam("after_sort", type_=sort.type), bindparam("after_id", type_=id_.type)
        )
        condition = condition & (tuple_(sort, id_) < bound)
    limit = bindparam("limit", type_=Integer())
    if not many:
        return direct(select(table).where(condition).order_by(sort.desc(), id_.desc()).limit(limit))
    position = (
        func.row_number()
        .over(partition_by=parent, order_by=(sort.desc(), id_.desc()))
        .label("position")
    )
    ranked = select(table, position).where(condition).subquery()
    return direct(
        select(*[ranked.c[c.name] for c in table.c])
        .where(ranked.c.position <= limit)
        .order_by(ranked.c[parent_name], ranked.c.position)
    )


class CountByParent(WholeLevelLoads[int]):
    """How many rows each parent has, in one grouped statement."""

    def __init__(self, reader: Reader, table: FromClause, parent: str) -> None:
        super().__init__()
        self.reader = reader
        self.table = table
        self.parent = parent

    async def batch_load_fn(self, keys: Sequence[int]) -> list[int]:
        rows = await self.reader.all(
            _count_statement(self.table, self.parent, len(keys) > 1, self.reader.dialect),
            _key_params(keys),
        )
        counts: dict[int, int] = {row.parent: row.n for row in rows}
        return [counts.get(k, 0) for k in keys]


@cache
def _count_statement(table: FromClause, parent_name: str, many: bool, dialect: str) -> Select[Any]:
    parent = table.c[parent_name]
    return direct(
        select(parent.label("parent"), func.count().label("n"))
        .where(_keys_condition(parent, many, dialect))
        .group_by(parent)
    )


class JsonRows(WholeLevelLoads[Any]):
    """One row per parent id (None when it has none) of a statement written as SQL
    text (`$1` the ids, then `arguments`), whose first column is the parent id: the
    compiled read path's JSON statements (fastpath/json_level.py), run on the driver."""

    def __init__(self, reader: Reader, sql: str, arguments: tuple[int, ...]) -> None:
        super().__init__()
        self.reader = reader
        self.sql = sql
        self.arguments = arguments

    async def batch_load_fn(self, keys: Sequence[int]) -> list[Any]:
        rows = await self.reader.driver_rows(self.sql, [list(keys), *self.arguments])
        by_id = {row[0]: row for row in rows}
        return [by_id.get(k) for k in keys]
