"""A level's plain relations written as JSON by PostgreSQL, in one statement per level.

Under a customer, a relation whose selection needs no Python (columns, ids, Money,
`__typename`, counts and page flags; no refusal, no cursor, no actor) does not need its
rows in Python at all: the level's statement, run through a per-request loader for all
customers of the level at once, writes each relation's answer as JSON text
(json_render.py) and the builder puts it in place as an `orjson.Fragment`. All such
relations of a level share the statement, so a detail read runs one statement below the
customer instead of six, and no Python runs per order, entry or note. When the customers'
own fields need no Python either, the statement writes the whole customers
(`WholeObjects`) and no builder runs for them; customers without relations are written
by the statement that selects them, a list's page statement (`RowJson`).

The rows path (relations.py) stays behind each relation: it answers when a page is asked
`after` a cursor, and on SQLite, where such statements are slow (the peer harness's
README, `../shared/bench/README.md`, measured one JSON-writing statement there).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import orjson
from sqlalchemy import FromClause, Table

from custgraph.fastpath.json_render import NotRenderable, Rendered, concat, json_key, render_object
from custgraph.fastpath.plan import (
    CONNECTION_TYPENAME,
    EDGES,
    LOADED,
    NODES,
    PAGE_INFO,
    TOTAL_COUNT,
    Fallback,
    Loaded,
    ObjectPlan,
    Path,
    Relation,
    Run,
)
from custgraph.fastpath.relations import NewestFirst, RowList
from custgraph.fastpath.rows import TABLES, Env
from custgraph.loaders.registry import PAGED_RELATIONS, ROW_LIST_ORDER

# The customer's relations: their tables' column pointing at the customer.
_PARENT = "customer_id"


@dataclass
class JsonLevel:
    """The statement writing a level's plain relations: `$1` the parents' ids, then one
    page size per paged relation; a row per parent: its id, then (text, objects) per
    relation."""

    sql: str = ""
    pages: list[NewestFirst] = field(default_factory=list)

    def arguments(self, run: Run) -> tuple[int, ...] | None:
        """The page sizes of this run; None when a page starts after a cursor."""
        sizes = []
        for page in self.pages:
            size, position, _ = page.page_request(run)
            if position is not None:
                return None
            sizes.append(size)
        return tuple(sizes)


@dataclass
class JsonRelation(Relation):
    key: str
    level: JsonLevel
    column: int  # the relation's text column; its object count follows it
    rows: Relation  # the rows path of the same relation

    def batch_key(self, run: Run) -> Any:
        return ("json", id(self.level))

    async def complete(self, sources: Sequence[Any], paths: Sequence[Path], run: Run) -> list[Any]:
        arguments = self.level.arguments(run)
        if arguments is None:
            return await self.rows.complete(sources, paths, run)
        loader = run.context.loaders.json_rows(self.level.sql, arguments)
        found = await loader.load_all([s.id for s in sources])
        column = self.column
        fragment = orjson.Fragment
        values = []
        objects = 0
        for row in found:
            text = row[column]  # (every id has its row: no join drops one)
            if text is None:
                raise Fallback  # a value the Python path would refuse: it reports it
            values.append(fragment(text))
            objects += row[column + 1]
        run.objects[0] += objects
        return values


@dataclass
class WholeObjects:
    """The level's objects themselves written by its statement (its own fields and every
    relation), when nothing in them needs Python: no builder runs for them at all."""

    level: JsonLevel

    async def load(self, ids: list[int], run: Run, alone: bool = False) -> list[Any] | None:
        """The objects of `ids` as JSON fragments; None when a page starts after a
        cursor (the rows path answers). `alone`: no other load of the request can share
        the statement's batch (see `WholeLevelLoads.load_alone`)."""
        arguments = self.level.arguments(run)
        if arguments is None:
            return None
        loader = run.context.loaders.json_rows(self.level.sql, arguments)
        found = await (loader.load_alone(ids) if alone else loader.load_all(ids))
        fragment = orjson.Fragment
        values = []
        objects = 0
        for row in found:
            if row is None or row[1] is None:
                raise Fallback  # a missing row, or a value the Python path would refuse
            values.append(fragment(row[1]))
            objects += row[2]
        run.objects[0] += objects
        return values


@dataclass
class RowJson:
    """The objects written by the statement that selects their rows, when they have no
    relations: `sql`, over the `customers` row, is that statement's column `column`
    (named by the root that runs it). No second statement, no loader, no builder."""

    sql: str
    objects: int  # each object's count in the answer's actual cost
    column: str = "custgraph_json"

    def take(self, sources: Sequence[Any], run: Run) -> list[Any] | None:
        """The objects of `sources`; None when their statement did not write them."""
        fields = getattr(sources[0], "_fields", ())
        if self.column not in fields:
            return None  # rows selected elsewhere (a customer read by id): the builder's
        position = fields.index(self.column)
        fragment = orjson.Fragment
        values = []
        for source in sources:
            text = source[position]
            if text is None:
                raise Fallback  # a value the Python path would refuse: it reports it
            values.append(fragment(text))
        run.objects[0] += len(values) * self.objects
        return values


def write_relations_in_sql(plan: ObjectPlan, env: Env) -> None:
    """Have PostgreSQL write a customer plan's plain relations, or the whole customers."""
    if plan.type_name != "Customer":
        return
    level = JsonLevel()
    laterals: list[str] = []
    columns: list[str] = ["k.id"]
    replaced: dict[int, JsonRelation] = {}
    texts: dict[int, str] = {}
    counts: list[str] = []
    for n, f in enumerate(plan.fields):
        if f.kind is not LOADED:
            continue
        relation = f.relation  # type: ignore[union-attr]
        try:
            if isinstance(relation, RowList):
                text, objects, lateral = _row_list(relation, n, env)
            elif isinstance(relation, NewestFirst):
                parameter = len(level.pages) + 2
                text, objects, lateral = _connection(relation, n, parameter, env)
                level.pages.append(relation)
            else:
                continue
        except NotRenderable:
            continue
        replaced[n] = JsonRelation(f.key, level, len(columns), relation)
        columns += [text, objects]
        laterals.append(lateral)
        texts[n] = text
        counts.append(objects)
    ids = "unnest((SELECT $1::bigint[])) AS k(id)"
    # Without relations, the customers are written by the statement selecting them (its
    # table unaliased); with them, by this level's statement (`c`).
    try:
        whole = render_object(plan, "c" if texts else _name(TABLES["Customer"]), env, texts)
    except NotRenderable:
        whole = None
    if whole is not None and not texts:
        plan.in_row = RowJson(
            f"CASE WHEN {_checked(whole.checks)} THEN {whole.sql} END", whole.objects
        )
        return
    if whole is not None:
        # Relations without Python under them: the customers' own fields come with them.
        text = f"CASE WHEN {_checked(whole.checks)} THEN {whole.sql} END"
        objects = " + ".join([str(whole.objects), *counts])
        level.sql = (
            f"SELECT k.id, {text}, {objects} FROM {ids} JOIN customers c ON c.id = k.id "
            + " ".join(laterals)
        )
        plan.whole = WholeObjects(level)
        return
    if not replaced:
        return
    # The ids go through a subquery: planning this statement costs more than running
    # it, and with the array in sight the planner would plan each run afresh (its
    # estimates for one id and for "some ids" differ); unseen, the generic plan wins.
    level.sql = f"SELECT {', '.join(columns)} FROM {ids} " + " ".join(laterals)
    for n, relation in replaced.items():
        plan.fields[n] = Loaded(plan.fields[n].key, relation)


def _order(alias: str, order: Sequence[tuple[str, bool]]) -> str:
    return ", ".join(
        f"{alias}.{column}{' DESC' if descending else ''}" for column, descending in order
    )


def _checked(checks: list[str]) -> str:
    return " AND ".join(checks) if checks else "true"


def _ordered(r: str, texts: list[str], checks: list[str], rows: str) -> str:
    """A lateral `r` aggregating each of `texts` over `rows` (FROM ... ORDER BY ...)
    into `r.j0`, `r.j1`, ..., with `r.c` the rows and `r.ok` their checks.

    The texts are aggregated from a sorted subquery rather than with `ORDER BY` inside
    the aggregate (or a window numbering the rows): a third less database time for a
    list page, and the way PostgreSQL documents for ordered input to an aggregate (and
    PostGraphile and the floor rely on)."""
    inner = [*(f"{sql} AS j{a}" for a, sql in enumerate(texts)), f"{_checked(checks)} AS ok"]
    outer = [
        *(f"string_agg({r}x.j{a}, ',') AS j{a}" for a in range(len(texts))),
        "count(*) AS c",
        f"bool_and({r}x.ok) AS ok",
    ]
    return (
        f"CROSS JOIN LATERAL (SELECT {', '.join(outer)} "
        f"FROM (SELECT {', '.join(inner)} {rows}) {r}x) {r}"
    )


def _row_list(relation: RowList, n: int, env: Env) -> tuple[str, str, str]:
    row = render_object(relation.plan, f"t{n}", env)
    table = TABLES[relation.plan.type_name]
    order = _order(f"t{n}", ROW_LIST_ORDER[relation.loader])
    source = f"FROM {_name(table)} t{n} WHERE t{n}.{_PARENT} = k.id"
    r = f"r{n}"
    if relation.pick is not None:
        lateral = (
            f"LEFT JOIN LATERAL (SELECT {row.sql} AS j, {_checked(row.checks)} AS ok {source} "
            f"AND t{n}.{relation.pick} ORDER BY {order} LIMIT 1) {r} ON true"
        )
        text = f"CASE WHEN {r}.ok IS NOT FALSE THEN coalesce({r}.j, 'null') END"
        return text, f"CASE WHEN {r}.j IS NULL THEN 0 ELSE {row.objects} END", lateral
    lateral = _ordered(r, [row.sql], row.checks, f"{source} ORDER BY {order}")
    text = f"CASE WHEN {r}.ok IS NOT FALSE THEN '[' || coalesce({r}.j0, '') || ']' END"
    return text, f"{r}.c * {row.objects}", lateral


def _connection(relation: NewestFirst, n: int, parameter: int, env: Env) -> tuple[str, str, str]:
    """A newest-first connection's first page (no cursor) as a JSON object."""
    table, sort = PAGED_RELATIONS[relation.relation]
    t, r, size = f"t{n}", f"r{n}", f"${parameter}::int"
    rows = f"FROM {_name(table)} {t} WHERE {t}.{_PARENT} = k.id"
    order = _order(t, ((sort, True), ("id", True)))
    # Whether the page has a next one: a row beyond it (asked only when selected).
    more = (
        f"EXISTS (SELECT 1 {rows.replace(t, 's')} ORDER BY {order.replace(t, 's')} OFFSET {size})"
    )
    aggregates: list[str] = []
    checks: list[str] = []
    parts: list[tuple[str, bool]] = []
    objects = ["1"]
    for i, (key, what, sub) in enumerate(relation.plan.fields):
        parts.append((("{" if i == 0 else ",") + json_key(key), True))
        if what == TOTAL_COUNT:
            count = f"(SELECT count(*) FROM {_name(table)} s WHERE s.{_PARENT} = k.id)::text"
            parts.append((count, False))
        elif what in (NODES, EDGES):
            item = render_object(sub, t, env) if what == NODES else _edge(sub, t, env)
            parts.append((_list(r, len(aggregates)), False))
            aggregates.append(item.sql)
            checks += item.checks
            objects.append(f"{r}.c * {item.objects}")
        elif what == PAGE_INFO:
            parts.append((_page_info(sub, more), False))
            objects.append("1")
        else:
            assert what == CONNECTION_TYPENAME
            parts.append((orjson.dumps(sub).decode(), True))
    parts.append(("}" if relation.plan.fields else "{}", True))
    lateral = _ordered(r, aggregates, checks, f"{rows} ORDER BY {order} LIMIT {size}")
    text = f"CASE WHEN {r}.ok IS NOT FALSE THEN {concat(parts)} END"
    return text, " + ".join(objects), lateral


def _list(r: str, aggregate: int) -> str:
    return f"'[' || coalesce({r}.j{aggregate}, '') || ']'"


def _edge(edge_plan: Any, t: str, env: Env) -> Rendered:
    parts: list[tuple[str, bool]] = []
    checks: list[str] = []
    objects = 1
    for i, (key, part, extra) in enumerate(edge_plan.fields):
        parts.append((("{" if i == 0 else ",") + json_key(key), True))
        if part == "node":
            node = render_object(extra, t, env)
            parts.append((node.sql, False))
            checks += node.checks
            objects += node.objects
        elif part == "cursor":
            raise NotRenderable("cursor")
        else:
            parts.append((orjson.dumps(extra).decode(), True))
    parts.append(("}" if edge_plan.fields else "{}", True))
    return Rendered(concat(parts), checks, objects)


def _page_info(fields: list[tuple[str, str]], more: str) -> str:
    parts: list[tuple[str, bool]] = []
    for i, (key, name) in enumerate(fields):
        parts.append((("{" if i == 0 else ",") + json_key(key), True))
        if name == "hasNextPage":
            parts.append((f"CASE WHEN {more} THEN 'true' ELSE 'false' END", False))
        elif name == "hasPreviousPage":
            parts.append(("false", True))  # the first page: no cursor was given
        elif name == "__typename":
            parts.append(('"PageInfo"', True))
        else:
            raise NotRenderable(name)
    parts.append(("}" if fields else "{}", True))
    return concat(parts)


def _name(table: FromClause) -> str:
    return cast(Table, table).name
