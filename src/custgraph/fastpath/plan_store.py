"""The compiled plans of one app and the documents they answered.

The app state owns one store (`AppState.plan_store`) and every request's context reaches
it, so that two apps in one process (tests, the in-process benchmark) never share plans
made under another schema or settings.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from typing import Any

from graphql import DocumentNode, OperationDefinitionNode

from custgraph.auth.principal import PrincipalKind
from custgraph.fastpath.compiler import NotCompilable
from custgraph.fastpath.query import QueryPlan, compile_query
from custgraph.fastpath.rows import Env

log = logging.getLogger("custgraph.fastpath")

PLAN_CACHE_SIZE = 512
ANSWERED_CACHE_SIZE = 256

# Callers whose permissions do not depend on which customer is read.
_COMPILED_KINDS = (PrincipalKind.STAFF, PrincipalKind.API_KEY)

PlanKey = tuple[str, str | None, Env, str]
Answered = tuple[DocumentNode, OperationDefinitionNode]


def compiled_for(context: Any) -> bool:
    """Whether compiled plans may answer this request's caller."""
    return bool(
        context.settings.compiled_reads
        and context.principal.kind in _COMPILED_KINDS
        and not context.granted_customer_ids
    )


class PlanStore:
    def __init__(self) -> None:
        # None: the document was tried and the general path answers it.
        self._plans: OrderedDict[PlanKey, QueryPlan | None] = OrderedDict()
        # (query text, operation name) -> its document and operation, once a plan answered
        # it after the whole pipeline had run (fastpath/planned.py).
        self._answered: OrderedDict[tuple[str, str | None], Answered] = OrderedDict()

    def plan(
        self,
        schema: Any,
        document: DocumentNode,
        query: str,
        operation_name: str | None,
        env: Env,
        dialect: str,
    ) -> QueryPlan | None:
        """The document's plan for this permission set, compiled on first use; None when
        only the general path can answer it."""
        key = (query, operation_name, env, dialect)
        if key in self._plans:
            self._plans.move_to_end(key)
            return self._plans[key]
        try:
            plan: QueryPlan | None = compile_query(
                schema, document, operation_name, env, json_in_sql=dialect == "postgresql"
            )
        except NotCompilable as reason:
            log.debug("general path for %s: %s", operation_name, reason)
            plan = None
        self._plans[key] = plan
        if len(self._plans) > PLAN_CACHE_SIZE:
            self._plans.popitem(last=False)
        return plan

    def cached_plan(
        self, query: str, operation_name: str | None, env: Env, dialect: str
    ) -> QueryPlan | None:
        """The plan made before for this document and permission set, if any."""
        key = (query, operation_name, env, dialect)
        plan = self._plans.get(key)
        if plan is not None:
            self._plans.move_to_end(key)
        return plan

    def remember(
        self,
        query: str,
        operation_name: str | None,
        document: DocumentNode,
        operation: OperationDefinitionNode,
    ) -> None:
        """Note that `query` went through the whole pipeline and was answered by its plan."""
        key = (query, operation_name)
        if key in self._answered:
            return
        self._answered[key] = (document, operation)
        if len(self._answered) > ANSWERED_CACHE_SIZE:
            self._answered.popitem(last=False)

    def answered(self, query: str, operation_name: str | None) -> Answered | None:
        return self._answered.get((query, operation_name))
