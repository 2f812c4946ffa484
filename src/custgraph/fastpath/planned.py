"""Planned documents answered without Strawberry's pipeline.

Once a query text has been answered through its compiled plan, what Strawberry's
pipeline does again on every request is settled for that text: it parses (ParserCache
hands back the same document), it is valid under the schema and the limits (the same
rules, the same outcome), it is a query, and the gates let its caller through (callers
of other kinds never get here). Its hooks still cost about a tenth of a detail read.
So the endpoint asks here first; what must still happen per request happens here, with
the functions the pipeline's extensions use: the cost (its variables may change it),
the cost limit, the rate-limit bucket, the turn in the execution budget, the plan, the
errors' contract codes and the answer's `extensions`. Anything unusual (over the cost
limit, refused by the bucket, a plan that gives way) goes to the pipeline, which words
it as always (the bucket, if taken, is handed over rather than taken twice).

tests/api/test_fast_path.py sends every query twice to the compiled app (the second
answer comes from here) and requires the same bytes as the general path.
"""

from __future__ import annotations

import logging
from typing import Any

from strawberry.types import ExecutionResult

from custgraph.admission import admitted
from custgraph.db.availability import is_database_unavailable
from custgraph.fastpath.plan import Fallback, Run
from custgraph.fastpath.plan_store import compiled_for
from custgraph.fastpath.query import QueryPlan
from custgraph.fastpath.rows import Env
from custgraph.ratelimit.extension import (
    cost_extension,
    refund_unused,
    requested_cost,
    take_bucket,
)
from custgraph.schema.error_masking import cap_errors, contract_error

log = logging.getLogger("custgraph.fastpath")


async def run_plan(plan: QueryPlan, context: Any, env: Env, variables: Any) -> Run | None:
    """The plan's run; None when the general path must answer instead."""
    try:
        run = await plan.run(context, env, variables)
    except Fallback:
        return None
    except Exception as error:
        if is_database_unavailable(error):
            raise  # the general path would only wait on the same database again
        # A bug of the compiled path must not cost the caller the answer: the general
        # path answers (and reports a real failure its own way).
        log.warning("compiled read failed; answering on the general path", exc_info=True)
        return None
    context.compiled = True
    context.returned_objects = run.objects[0]
    return run


async def answer_planned(
    schema: Any,
    context: Any,
    query: str,
    variables: dict[str, Any] | None,
    operation_name: str | None,
) -> ExecutionResult | None:
    """The answer to a query answered by its plan before; None to use the pipeline."""
    store = context.plan_store
    known = store.answered(query, operation_name)
    if known is None or not compiled_for(context):
        return None
    document, operation = known
    settings = context.settings
    env = Env(settings.currency, context.principal.permissions)
    plan = store.cached_plan(query, operation_name, env, context.reader.dialect)
    if plan is None:
        return None  # not planned for this permission set yet: the pipeline plans it
    cost = requested_cost(schema._schema, document, operation, query, operation_name, variables)
    if cost > settings.max_query_cost:
        return None
    bucket = None
    if settings.rate_limit_enabled:
        # Kept on the context: whatever answers this request from here has been paid for.
        bucket = context.prepaid_bucket = await take_bucket(context, cost)
        if not bucket.accepted:
            return None
    async with admitted(context, cost):
        run = await run_plan(plan, context, env, variables)
    if run is None:
        return None
    if bucket is not None:
        bucket = context.prepaid_bucket = await refund_unused(context, bucket, cost, run.data)
    extensions: dict[str, Any] = {"cost": cost_extension(cost, run.data, context)}
    if bucket is not None:
        extensions["rateLimit"] = bucket.as_extension()
    errors = [contract_error(e, context.request_id) for e in run.errors]
    result = ExecutionResult(data=run.data, errors=errors or None, extensions=extensions)
    cap_errors(result, settings.max_errors)
    return result
