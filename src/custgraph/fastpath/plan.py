"""A compiled read: the plan of one operation for one permission set, and how it runs.

The plan is made once per (document, operation, permission set) by `compiler.py`. Running
it walks the rows the per-request loaders return, a level at a time (every relation of a
level is asked for before any is awaited, so each level is one statement per relation, as
on the general path), and writes the response values straight from the rows. Permission
decisions were taken when the plan was made: a field the caller may not read is a null
with the same FORBIDDEN error the general path gives.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from graphql import (
    FieldNode,
    GraphQLError,
    ListValueNode,
    ObjectValueNode,
    ValueNode,
    VariableNode,
)

from custgraph.fastpath.rows import ROW_TYPES, Accessor, Env, layout_matches

Path = tuple[str | int, ...]


class Fallback(Exception):
    """This request is not for the compiled path after all; the general path answers it."""


@dataclass
class Run:
    """One execution of a plan."""

    context: Any
    env: Env
    variables: Any
    errors: list[GraphQLError] = field(default_factory=list)
    # Refusals of resolver fields: graphql-core reports them after the level's plain fields.
    deferred: list[GraphQLError] = field(default_factory=list)
    data: dict[str, Any] | None = None
    # Objects in the answer (the actual cost), shared by a run and its children.
    objects: list[int] = field(default_factory=lambda: [0])

    def child(self) -> Run:
        """A run whose errors are kept apart, to be put in graphql-core's order."""
        return Run(self.context, self.env, self.variables, objects=self.objects)

    def forbid(self, spec: Forbidden, path: Path) -> None:
        (self.deferred if spec.deferred else self.errors).append(
            GraphQLError(
                spec.message,
                nodes=spec.nodes,
                path=[*path, spec.key],
                extensions=dict(spec.extensions),
            )
        )


# Field kinds, compared by identity in the hot loop.
LEAF, LEAF_LIST, TYPENAME, FORBIDDEN, CHILD, CHILD_LIST, LOADED = range(7)


@dataclass(slots=True)
class Leaf:
    key: str
    read: Accessor
    serialize: Callable[[Any], Any]
    nullable: bool
    # The GraphQL scalar or enum type (None for lists): how SQL writes it (json_render.py).
    output: Any = None
    kind: int = LEAF


@dataclass(slots=True)
class Typename:
    key: str
    name: str
    kind: int = TYPENAME


@dataclass(slots=True)
class Forbidden:
    key: str
    message: str
    extensions: dict[str, Any]
    nodes: list[FieldNode]  # every node merged under the response key, for `locations`
    deferred: bool  # a resolver field: its refusal comes after the plain fields'
    kind: int = FORBIDDEN


@dataclass(slots=True)
class Child:
    """An object (or list of objects) made from the source without loading: Money, Actor."""

    key: str
    read: Accessor
    plan: ObjectPlan
    nullable: bool
    kind: int = CHILD


@dataclass(slots=True)
class Loaded:
    """A relation loaded for every source of a level at once."""

    key: str
    relation: Relation
    kind: int = LOADED


FieldPlan = Leaf | Typename | Forbidden | Child | Loaded
Builder = Callable[[Any, Path, "Run", dict[str, list[Any]], int], dict[str, Any]]


@dataclass
class ObjectPlan:
    type_name: str
    fields: list[FieldPlan]
    # Builds one response object from a source; made by codegen.compile_builder.
    build: Builder = field(init=False)
    # Writes the whole objects as JSON in the database instead (json_level.WholeObjects).
    whole: Any = None
    # Or has the statement selecting the objects' rows write them (json_level.RowJson).
    in_row: Any = None

    @property
    def loaded(self) -> list[Loaded]:
        return [f for f in self.fields if isinstance(f, Loaded)]


class Relation:
    """How a relation field is loaded and completed for all sources of a level."""

    async def complete(self, sources: Sequence[Any], paths: Sequence[Path], run: Run) -> list[Any]:
        raise NotImplementedError

    def batch_key(self, run: Run) -> Any:
        """Relations with the same key are served by the same loader."""
        raise NotImplementedError


async def complete_objects(
    plan: ObjectPlan, sources: Sequence[Any], paths: Sequence[Path], run: Run
) -> list[dict[str, Any]]:
    """The response objects of `sources` (rows or objects), with their relations loaded."""
    if sources and plan.whole is not None:
        written = await plan.whole.load([s.id for s in sources], run)
        if written is not None:
            return written  # type: ignore[no-any-return]
    if sources and plan.in_row is not None:
        written = plan.in_row.take(sources, run)
        if written is not None:
            return written  # type: ignore[no-any-return]
    if sources and plan.type_name in ROW_TYPES and not layout_matches(plan.type_name, sources[0]):
        raise Fallback  # a statement no longer selects its table's columns in order
    loaded = plan.loaded
    values: dict[str, list[Any]] = {}
    children: list[Run] = []
    if loaded and sources:
        children = [run.child() for _ in loaded]
        results = await asyncio.gather(
            *(f.relation.complete(sources, paths, c) for f, c in zip(loaded, children, strict=True))
        )
        values = {f.key: r for f, r in zip(loaded, results, strict=True)}
    level = run.child()
    run.objects[0] += len(sources)
    build = plan.build
    objects = [
        build(s, p, level, values, i) for i, (s, p) in enumerate(zip(sources, paths, strict=True))
    ]
    # graphql-core's order: a level's plain fields, its resolver fields, then the levels below.
    run.errors.extend(level.errors)
    run.errors.extend(level.deferred)
    if children:
        _merge_below(run, loaded, children, paths)
    return objects


def _merge_below(
    run: Run, loaded: list[Loaded], children: list[Run], paths: Sequence[Path]
) -> None:
    """Errors of the levels below in graphql-core's order.

    Relations sharing a loader resolve together, parent by parent and in field order within
    a parent; loaders resolve in the order of their first field.
    """
    parent_of = {path: i for i, path in enumerate(paths)}
    depth = len(paths[0])
    groups: dict[Any, list[int]] = {}
    for k, f in enumerate(loaded):
        groups.setdefault(f.relation.batch_key(run), []).append(k)
    for members in groups.values():
        per_parent: list[list[GraphQLError]] = [[] for _ in paths]
        for k in members:
            for error in children[k].errors:
                per_parent[parent_of[tuple((error.path or [])[:depth])]].append(error)
        for errors in per_parent:
            run.errors.extend(errors)


@dataclass
class Page:
    """One connection's page: its rows and how to make their cursors."""

    rows: Sequence[Any]
    cursor: Callable[[int], str]
    has_next_page: bool
    has_previous_page: bool


# What a connection's selection asks for, per response key.
EDGES, NODES, PAGE_INFO, TOTAL_COUNT, CONNECTION_TYPENAME = range(5)


@dataclass
class ConnectionPlan:
    type_name: str
    # (key, what, plan): plan is the node plan for NODES, an EdgePlan for EDGES, a list of
    # (key, PageInfo field name) for PAGE_INFO, None otherwise.
    fields: list[tuple[str, int, Any]]

    @property
    def wants_count(self) -> bool:
        return any(what == TOTAL_COUNT for _, what, _ in self.fields)


@dataclass
class EdgePlan:
    # (key, "cursor" | "node" | "__typename", node plan or type name)
    fields: list[tuple[str, str, Any]]


async def complete_connections(
    plan: ConnectionPlan,
    pages: Sequence[Page],
    paths: Sequence[Path],
    run: Run,
    counts: Callable[[], Awaitable[list[int]]] | None,
) -> list[dict[str, Any]]:
    """The response objects of several connections of one level (one per parent)."""
    tasks: list[Awaitable[Any]] = []
    runs: list[Run] = []
    for key, what, sub in plan.fields:
        if what == NODES:
            rows, row_paths = _flatten(pages, paths, key, ())
            runs.append(run.child())
            tasks.append(complete_objects(sub, rows, row_paths, runs[-1]))
        elif what == EDGES:
            for node_key, part, node_plan in sub.fields:
                if part == "node":
                    rows, row_paths = _flatten(pages, paths, key, (node_key,))
                    runs.append(run.child())
                    tasks.append(complete_objects(node_plan, rows, row_paths, runs[-1]))
    if plan.wants_count and counts is not None:
        tasks.append(counts())
    results = list(await asyncio.gather(*tasks)) if tasks else []
    total = results.pop() if plan.wants_count and counts is not None else None
    # Each connection completes whole before the next: its errors, parent by parent.
    depth = len(paths[0]) if paths else 0
    parent_of = {path: i for i, path in enumerate(paths)}
    per_parent: list[list[GraphQLError]] = [[] for _ in paths]
    for child in runs:
        for error in child.errors:
            per_parent[parent_of[tuple((error.path or [])[:depth])]].append(error)
    for errors in per_parent:
        run.errors.extend(errors)

    completed: list[dict[str, Any]] = [{} for _ in pages]
    run.objects[0] += len(pages)
    cursors: list[list[str] | None] = [None] * len(pages)

    def cursors_of(i: int) -> list[str]:
        made = cursors[i]
        if made is None:
            page = pages[i]
            made = cursors[i] = [page.cursor(j) for j in range(len(page.rows))]
        return made

    position = 0
    for key, what, sub in plan.fields:
        if what == NODES:
            _spread(completed, pages, key, results[position])
            position += 1
        elif what == EDGES:
            node_values: dict[str, list[Any]] = {}
            for node_key, part, _ in sub.fields:
                if part == "node":
                    node_values[node_key] = results[position]
                    position += 1
            offset = 0
            if len(sub.fields) == 1 and sub.fields[0][1] == "node":
                # `edges { node { ... } }`, the usual shape: no per-edge field loop.
                node_key = sub.fields[0][0]
                nodes = node_values[node_key]
                for i, page in enumerate(pages):
                    size = len(page.rows)
                    edges = [{node_key: node} for node in nodes[offset : offset + size]]
                    offset += size
                    run.objects[0] += size
                    completed[i][key] = edges
                continue
            for i, page in enumerate(pages):
                edges = []
                for j in range(len(page.rows)):
                    edge: dict[str, Any] = {}
                    for node_key, part, extra in sub.fields:
                        if part == "node":
                            edge[node_key] = node_values[node_key][offset + j]
                        elif part == "cursor":
                            edge[node_key] = cursors_of(i)[j]
                        else:
                            edge[node_key] = extra
                    edges.append(edge)
                offset += len(page.rows)
                run.objects[0] += len(edges)
                completed[i][key] = edges
        elif what == PAGE_INFO:
            run.objects[0] += len(pages)
            for i, page in enumerate(pages):
                completed[i][key] = _page_info(sub, page, partial(cursors_of, i))
        elif what == TOTAL_COUNT:
            assert total is not None
            for i in range(len(pages)):
                completed[i][key] = total[i]
        else:
            for i in range(len(pages)):
                completed[i][key] = sub
    return completed


def _page_info(
    fields: list[tuple[str, str]], page: Page, cursors: Callable[[], list[str]]
) -> dict[str, Any]:
    info: dict[str, Any] = {}
    for key, name in fields:
        if name == "hasNextPage":
            info[key] = page.has_next_page
        elif name == "hasPreviousPage":
            info[key] = page.has_previous_page
        elif name == "startCursor":
            info[key] = cursors()[0] if page.rows else None
        elif name == "endCursor":
            info[key] = cursors()[-1] if page.rows else None
        else:
            info[key] = "PageInfo"
    return info


def _flatten(
    pages: Sequence[Page], paths: Sequence[Path], key: str, below: Path
) -> tuple[list[Any], list[Path]]:
    """The rows of all pages, with their paths: parent path, key, index, `below`."""
    rows: list[Any] = []
    row_paths: list[Path] = []
    for page, path in zip(pages, paths, strict=True):
        rows.extend(page.rows)
        row_paths.extend((*path, key, j, *below) for j in range(len(page.rows)))
    return rows, row_paths


def _spread(
    completed: list[dict[str, Any]], pages: Sequence[Page], key: str, values: list[Any]
) -> None:
    offset = 0
    for i, page in enumerate(pages):
        n = len(page.rows)
        completed[i][key] = values[offset : offset + n]
        offset += n


def arguments_use_variables(node: FieldNode) -> bool:
    """Whether a field's arguments depend on the request's variables (else a plan may
    convert them once)."""
    return any(_uses_variables(a.value) for a in node.arguments or ())


def _uses_variables(value: ValueNode) -> bool:
    if isinstance(value, VariableNode):
        return True
    if isinstance(value, ListValueNode):
        return any(_uses_variables(v) for v in value.values)
    if isinstance(value, ObjectValueNode):
        return any(_uses_variables(f.value) for f in value.fields)
    return False


def columns_read(plan: ObjectPlan) -> frozenset[str] | None:
    """The columns of its source rows a plan reads, the id always (cursors, relations);
    None when a field's accessor does not declare them (`rows.reads`)."""
    columns = {"id"}
    for f in plan.fields:
        if f.kind is not TYPENAME and f.kind is not FORBIDDEN and f.kind is not LOADED:
            declared = getattr(getattr(f, "read", None), "columns", None)
            if declared is None:
                return None
            columns.update(declared)
    return frozenset(columns)
