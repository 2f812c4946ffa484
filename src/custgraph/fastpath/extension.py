"""Serve queries through their compiled plans where one exists; else the general path."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from graphql import ExecutionResult as GraphQLExecutionResult
from strawberry.extensions import SchemaExtension

from custgraph.fastpath.plan_store import compiled_for
from custgraph.fastpath.planned import run_plan
from custgraph.fastpath.rows import Env


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
        store = context.plan_store
        query, operation_name = execution.query, execution.operation_name
        document = execution.graphql_document
        plan = store.plan(
            execution.schema, document, query, operation_name, env, context.reader.dialect
        )
        if plan is None:
            return None
        run = await run_plan(plan, context, env, execution.variables)
        if run is None:
            return None
        store.remember(query, operation_name, document, plan.operation)
        return GraphQLExecutionResult(run.data, run.errors or None)
