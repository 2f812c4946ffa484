"""A compiled query: its root fields, and running them for one request."""

from __future__ import annotations

import asyncio
import dataclasses
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLError,
    GraphQLField,
    OperationDefinitionNode,
)
from graphql.execution.values import get_argument_values, get_variable_values
from strawberry.schema import Schema
from strawberry.types.arguments import convert_arguments
from strawberry.types.field import StrawberryField

from custgraph.fastpath.compiler import Compiler, NotCompilable, query_operation
from custgraph.fastpath.plan import (
    EDGES,
    NODES,
    ConnectionPlan,
    Fallback,
    ObjectPlan,
    Page,
    Run,
    arguments_use_variables,
    columns_read,
    complete_connections,
    complete_objects,
)
from custgraph.fastpath.rows import Env
from custgraph.global_id import decode_id_of
from custgraph.loaders.registry import Loaders
from custgraph.resolvers.customers import load_customer_page
from custgraph.schema.mutation_access import access_of


class RootField:
    key: str

    async def resolve(self, run: Run) -> Any:
        raise NotImplementedError


@dataclass
class RootTypename(RootField):
    key: str

    async def resolve(self, run: Run) -> Any:
        return "Query"


@dataclass
class RootCustomers(RootField):
    key: str
    definition: GraphQLField
    field: StrawberryField
    node: FieldNode
    plan: ConnectionPlan
    schema: Schema
    # The arguments made once when the document writes them all out (no variables).
    fixed: dict[str, Any] | None = dataclasses.field(default=None, init=False)

    def __post_init__(self) -> None:
        # Each node selection the page statement writes gets a column of its own there.
        for k, plan in enumerate(self._node_plans()):
            if plan.in_row is not None:
                plan.in_row.column = f"custgraph_json_{k}"

    def arguments(self, run: Run) -> dict[str, Any]:
        if self.fixed is not None:
            return self.fixed
        raw = get_argument_values(self.definition, self.node, run.variables)
        kwargs: dict[str, Any] = convert_arguments(
            raw,
            self.field.arguments,
            scalar_registry=self.schema.schema_converter.scalar_registry,
            config=self.schema.config,
        )
        if not arguments_use_variables(self.node):
            self.fixed = kwargs  # only read afterwards (the list filter is built from it)
        return kwargs

    async def resolve(self, run: Run) -> Any:
        kwargs = self.arguments(run)
        try:
            page, count = await load_customer_page(
                run.context,
                kwargs.get("first"),
                kwargs.get("after"),
                kwargs.get("last"),
                kwargs.get("before"),
                kwargs.get("search"),
                kwargs.get("filter"),
                kwargs.get("sort"),
                columns=frozenset() if self._written_whole(run) else self.columns,
                written=self.written,
                with_total=self.plan.wants_count,
            )
        except GraphQLError as error:
            raise Fallback from error  # the general path reports the bad argument
        pages = [Page(page.rows, page.cursor, page.has_next_page, page.has_previous_page)]

        async def counts() -> list[int]:
            return [await count()]

        done = await complete_connections(self.plan, pages, [(self.key,)], run, counts)
        return done[0]

    @cached_property
    def columns(self) -> frozenset[str] | None:
        """The customer columns the page's objects read (None: all of them)."""
        read: set[str] = set()
        for plan in self._node_plans():
            columns = columns_read(plan)
            if columns is None:
                return None
            read |= columns
        return frozenset(read)

    @cached_property
    def written(self) -> tuple[tuple[str, str], ...]:
        """The columns (name, SQL) in which the page statement writes the page's
        customers (json_level.RowJson), one per node plan: all of them or none."""
        plans = self._node_plans()
        if not plans or any(p.in_row is None for p in plans):
            return ()
        return tuple((p.in_row.column, p.in_row.sql) for p in plans)

    def _node_plans(self) -> list[ObjectPlan]:
        plans = [sub for _, what, sub in self.plan.fields if what == NODES]
        for _, what, sub in self.plan.fields:
            if what == EDGES:
                plans += [node for _, part, node in sub.fields if part == "node"]
        return plans

    def _written_whole(self, run: Run) -> bool:
        """Whether every customer object of the page is written by the database (then
        the page's rows need only their keys, for the cursors)."""
        if self.written:
            return True
        plans = self._node_plans()
        return bool(plans) and all(
            p.whole is not None and p.whole.level.arguments(run) is not None for p in plans
        )


@dataclass
class RootCustomer(RootField):
    key: str
    definition: GraphQLField
    node: FieldNode
    plan: ObjectPlan

    # The id decoded once when the document writes it out (no variables).
    fixed: int | None = dataclasses.field(default=None, init=False)
    # The operation's only root that reads: its loads have nobody to share a batch with.
    alone: bool = dataclasses.field(default=False, init=False)

    def customer_id(self, run: Run) -> int:
        if self.fixed is not None:
            return self.fixed
        raw = get_argument_values(self.definition, self.node, run.variables)
        if raw.get("id") is None or raw.get("externalId") is not None:
            raise Fallback  # by external id, or a wrong pair: the general path
        try:
            customer_id = decode_id_of("Customer", raw["id"])
        except GraphQLError as error:
            raise Fallback from error
        if not arguments_use_variables(self.node):
            self.fixed = customer_id
        return customer_id

    async def resolve(self, run: Run) -> Any:
        customer_id = self.customer_id(run)
        if self.plan.whole is not None:
            written = await self.plan.whole.load([customer_id], run, self.alone)
            if written is not None:
                return written[0]  # a missing customer: Fallback, NOT_FOUND on the general path
        row = await run.context.loaders.customer.load(customer_id)
        if row is None:
            raise Fallback  # NOT_FOUND, as the general path words it
        return (await complete_objects(self.plan, [row], [(self.key,)], run))[0]


@dataclass
class QueryPlan:
    operation: OperationDefinitionNode
    roots: list[RootField]
    schema: Schema

    async def run(self, context: Any, env: Env, variables: dict[str, Any] | None) -> Run:
        coerced = get_variable_values(
            self.schema._schema, self.operation.variable_definitions or (), variables or {}
        )
        if isinstance(coerced, list):
            raise Fallback  # the general path reports the variables' errors
        run = Run(context, env, coerced)
        try:
            values = await self._resolve_roots(run)
        except BaseException:
            # The loaders may hold failed or cancelled loads now; the general path,
            # which answers instead, starts afresh.
            context.loaders = Loaders(context.reader)
            raise
        run.data = {root.key: value for root, value in zip(self.roots, values, strict=True)}
        return run

    async def _resolve_roots(self, run: Run) -> list[Any]:
        if len(self.roots) == 1:
            # One root needs no task of its own (with the loaders' hops, a tenth of a
            # detail read's Python).
            return [await self.roots[0].resolve(run)]
        tasks = [asyncio.ensure_future(root.resolve(run)) for root in self.roots]
        try:
            return await asyncio.gather(*tasks)
        except BaseException:
            # No root of this run may go on reading after the request has closed its
            # connection.
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise


def compile_query(
    schema: Schema,
    document: DocumentNode,
    operation_name: str | None,
    env: Env,
    json_in_sql: bool = False,
) -> QueryPlan:
    """The plan of a query for callers holding `env.permissions`; NotCompilable if none.
    With `json_in_sql` (PostgreSQL), plain relations are written as JSON by the database."""
    operation = query_operation(document, operation_name)
    compiler = Compiler(schema, document, env, json_in_sql)
    query_type = schema._schema.query_type
    assert query_type is not None
    roots: list[RootField] = []
    for key, nodes in compiler.collect([operation.selection_set], query_type).items():
        name = nodes[0].name.value
        if name == "__typename":
            roots.append(RootTypename(key))
            continue
        field = schema.get_field_for_type(name, query_type.name)
        access = access_of(field) if field is not None else None
        # Compiled for callers holding the root's permission on all customers; anyone
        # else (a customer reading their own record) takes the general path.
        if (
            name not in ("customer", "customers")
            or access is None
            or access.permission not in env.permissions
        ):
            raise NotCompilable(name)
        definition = query_type.fields[name]
        target = definition.type
        while hasattr(target, "of_type"):
            target = target.of_type
        selections = compiler.sub_selections(nodes)
        if name == "customers":
            assert field is not None
            plan = compiler.connection_plan(target, selections)
            roots.append(RootCustomers(key, definition, field, nodes[0], plan, schema))
        else:
            plan_ = compiler.object_plan(target, selections)
            roots.append(RootCustomer(key, definition, nodes[0], plan_))
    reading = [root for root in roots if not isinstance(root, RootTypename)]
    if len(reading) == 1 and isinstance(reading[0], RootCustomer):
        reading[0].alone = True
    return QueryPlan(operation, roots, schema)
