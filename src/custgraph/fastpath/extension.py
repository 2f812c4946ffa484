"""Serve queries through their compiled plans where one exists; else the general path."""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import AsyncIterator
from typing import Any

from graphql import ExecutionResult as GraphQLExecutionResult
from strawberry.extensions import SchemaExtension

from custgraph.auth.principal import PrincipalKind
from custgraph.fastpath.compiler import NotCompilable
from custgraph.fastpath.planned import remember, run_plan
from custgraph.fastpath.query import QueryPlan, compile_query
from custgraph.fastpath.rows import Env

log = logging.getLogger("custgraph.fastpath")

PLAN_CACHE_SIZE = 512
_plans: OrderedDict[tuple[Any, ...], QueryPlan | None] = OrderedDict()

# Callers whose permissions do not depend on which customer is read.
_COMPILED_KINDS = (PrincipalKind.STAFF, PrincipalKind.API_KEY)


class CompiledReads(SchemaExtension):
    """Last of the execute hooks: limits, cost and rate limit have had their say."""

    async def on_execute(self) -> AsyncIterator[None]:
        execution = self.execution_context
        context = execution.context
        if (
            execution.result is None
            and execution.graphql_document is not None
            and compiled_for(context)
        ):
            result = await self._answer(execution, context)
            if result is not None:
                execution.result = result
        yield

    async def _answer(self, execution: Any, context: Any) -> GraphQLExecutionResult | None:
        env = Env(context.settings.currency, context.principal.permissions)
        plan = _plan(execution, env, context.reader.dialect)
        if plan is None:
            return None
        run = await run_plan(plan, context, env, execution.variables)
        if run is None:
            return None
        remember(
            execution.query, execution.operation_name, execution.graphql_document, plan.operation
        )
        return GraphQLExecutionResult(run.data, run.errors or None)


def compiled_for(context: Any) -> bool:
    """Whether compiled plans may answer this request's caller."""
    return bool(
        context.settings.compiled_reads
        and context.principal.kind in _COMPILED_KINDS
        and not context.granted_customer_ids
    )


def cached_plan(
    schema: Any, query: str, operation_name: str | None, env: Env, dialect: str
) -> QueryPlan | None:
    """The plan made before for this document and permission set, if any."""
    key = (schema, query, operation_name, env, dialect)
    plan = _plans.get(key)
    if plan is not None:
        _plans.move_to_end(key)
    return plan


def _plan(execution: Any, env: Env, dialect: str) -> QueryPlan | None:
    schema = execution.schema
    key = (schema, execution.query, execution.operation_name, env, dialect)
    if key in _plans:
        _plans.move_to_end(key)
        return _plans[key]
    try:
        plan: QueryPlan | None = compile_query(
            schema,
            execution.graphql_document,
            execution.operation_name,
            env,
            json_in_sql=dialect == "postgresql",
        )
    except NotCompilable as reason:
        log.debug("general path for %s: %s", execution.operation_name, reason)
        plan = None
    _plans[key] = plan
    if len(_plans) > PLAN_CACHE_SIZE:
        _plans.popitem(last=False)
    return plan
