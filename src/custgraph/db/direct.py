"""Read statements run on the asyncpg connection itself, past SQLAlchemy's execution.

SQLAlchemy spends about 0.2 ms of CPU around each statement (cache look-up, execution
context, result set, row objects), measured at 0.28 ms per nested-page statement against
0.10 ms for the same prepared statement on asyncpg; a detail read runs eight. Statements
that are built once and marked with `direct()` are compiled once here (SQL text,
parameter order, bind and result processors taken from SQLAlchemy's own compilation) and
then run with asyncpg's `fetch`, which keeps its own prepared-statement cache. The rows
come back as tuples with SQLAlchemy `Row`'s interface as far as custgraph uses it
(positions, attributes, `_fields`, `_mapping`), their values processed as SQLAlchemy
would (money from hundredths, timestamps as UTC).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import Dialect, Executable

from custgraph.db.types import Cents, UTCDateTime

DIRECT_OPTION = "custgraph_direct"

StatementT = TypeVar("StatementT", bound=Executable)


def direct(statement: StatementT) -> StatementT:
    """Mark a statement built once (a module constant or cached shape) as one that
    `Reader` may run on the driver directly. Never mark a statement built per request:
    its compilation is kept for the life of the process."""
    marked: StatementT = statement.execution_options(**{DIRECT_OPTION: True})
    return marked


class DirectRow(tuple[Any, ...]):
    """A result row: a tuple, with its columns' names as attributes."""

    __slots__ = ()
    _fields: tuple[str, ...] = ()
    _index: dict[str, int] = {}

    def __getattr__(self, name: str) -> Any:
        try:
            return self[self._index[name]]
        except KeyError:
            raise AttributeError(name) from None

    @property
    def _mapping(self) -> dict[str, Any]:
        return dict(zip(self._fields, self, strict=True))


def _hundredths(value: Any) -> Decimal | None:
    """Cents.process_result_value, called directly: a list page converts hundreds."""
    return None if value is None else Decimal(value).scaleb(-2)


def _row_class(fields: tuple[str, ...]) -> type[DirectRow]:
    return type(
        "DirectRow",
        (DirectRow,),
        {"__slots__": (), "_fields": fields, "_index": {f: i for i, f in enumerate(fields)}},
    )


@dataclass(frozen=True)
class Compiled:
    sql: str
    parameters: tuple[str, ...]  # in $n order
    defaults: dict[str, Any]  # values bound in the statement itself
    bind: dict[str, Callable[[Any], Any]]
    row: type[DirectRow]
    # (position, processor) of the columns whose values SQLAlchemy would convert.
    results: tuple[tuple[int, Callable[[Any], Any]], ...]

    def arguments(self, values: dict[str, Any] | None) -> list[Any]:
        given = values or {}
        out = []
        for name in self.parameters:
            value = given[name] if name in given else self.defaults[name]
            process = self.bind.get(name)
            out.append(process(value) if process is not None else value)
        return out

    def rows(self, records: Sequence[Any]) -> list[Any]:
        make = self.row
        if not self.results:
            return [tuple.__new__(make, r) for r in records]
        if not records:
            return []
        # Column by column: map() calls each processor without a Python loop per row.
        columns: list[Any] = list(zip(*records, strict=True))
        for position, process in self.results:
            columns[position] = map(process, columns[position])
        new = tuple.__new__
        return [new(make, values) for values in zip(*columns, strict=True)]


def compile_direct(statement: Any, dialect: Dialect) -> Compiled:
    """The SQL and processors of a marked statement, as SQLAlchemy compiles them."""
    compiled: Any = statement.compile(dialect=dialect)
    columns = compiled._result_columns
    fields = tuple(c[0] for c in columns)
    results = []
    for position, column in enumerate(columns):
        if isinstance(column[3], UTCDateTime) and dialect.driver == "asyncpg":
            continue  # asyncpg reads timestamptz as aware UTC datetimes already
        if isinstance(column[3], Cents):
            results.append((position, _hundredths))  # without SQLAlchemy's wrapper
            continue
        process = column[3]._cached_result_processor(dialect, None)
        if process is not None:
            results.append((position, process))
    parameters = tuple(compiled.positiontup or ())
    binds = compiled.binds
    return Compiled(
        sql=compiled.string,
        parameters=parameters,
        defaults={
            name: binds[name].effective_value
            for name in parameters
            if binds[name].value is not None or binds[name].callable is not None
        },
        bind=dict(compiled._bind_processors),
        row=_row_class(fields),
        results=tuple(results),
    )


# By statement id; bounded, as the statements built per list shape are (their caches
# are bounded too): an evicted statement is compiled again if it comes back.
_COMPILED: OrderedDict[int, tuple[Executable, Compiled]] = OrderedDict()
_COMPILED_KEPT = 1024


def compiled_for(statement: Any, dialect: Dialect) -> Compiled | None:
    """The direct form of `statement` when it is marked for it; else None."""
    options = getattr(statement, "_execution_options", None)
    if not options or not options.get(DIRECT_OPTION):
        return None
    known = _COMPILED.get(id(statement))
    if known is not None and known[0] is statement:
        return known[1]
    made = compile_direct(statement, dialect)
    # The statement is kept with its compilation, so that its id is not reused meanwhile.
    _COMPILED[id(statement)] = (statement, made)
    if len(_COMPILED) > _COMPILED_KEPT:
        _COMPILED.popitem(last=False)
    return made
