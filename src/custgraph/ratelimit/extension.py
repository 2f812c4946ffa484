"""Prices each operation, refuses it over the cost limit or the caller's bucket."""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError, get_operation_ast
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionResult

from custgraph.admission import admitted
from custgraph.api_errors import ErrorCode
from custgraph.ratelimit.bucket import BucketState, refund, take
from custgraph.schema.cost import query_cost


class CostAndRateLimit(SchemaExtension):
    """Before execution: the cost from the validated document and the variables, then one
    bucket statement per request, then the turn in the process's execution budget. After
    it, the points charged beyond the actual cost go back to the bucket (as Shopify
    refunds them). Every executed response reports cost and bucket in `extensions`.
    """

    def __init__(self) -> None:
        self.cost: int | None = None
        self.bucket: BucketState | None = None

    async def on_execute(self) -> Any:
        context = self.execution_context
        document = context.graphql_document
        operation = get_operation_ast(document, context.operation_name) if document else None
        if context.result is not None or document is None or operation is None:
            yield  # already answered (anonymous gate) or nothing to price
            return
        settings = context.context.settings
        self.cost = requested_cost(
            context.schema._schema,
            document,
            operation,
            context.query,
            context.operation_name,
            context.variables,
        )
        if self.cost > settings.max_query_cost:
            context.result = _refusal(
                f"The query costs {self.cost} points; at most {settings.max_query_cost} "
                "are allowed. Ask for smaller pages.",
                ErrorCode.QUERY_TOO_COMPLEX,
                cost=self.cost,
                maxCost=settings.max_query_cost,
            )
        elif settings.rate_limit_enabled:
            # Taken already when a planned answer (fastpath/planned.py) gave way to this
            # path: a request pays once.
            prepaid = context.context.prepaid_bucket
            self.bucket = (
                prepaid if prepaid is not None else await take_bucket(context.context, self.cost)
            )
            if not self.bucket.accepted:
                context.result = _refusal(
                    f"Rate limited: retry in {self.bucket.retry_after_seconds} seconds.",
                    ErrorCode.RATE_LIMITED,
                    retryAfterSeconds=self.bucket.retry_after_seconds,
                )
        if context.result is not None:
            yield  # refused: nothing waits or executes
            return
        async with admitted(context.context, self.cost):
            yield
        if self.bucket is not None and context.result is not None:
            self.bucket = await refund_unused(
                context.context, self.bucket, self.cost, context.result.data
            )

    def get_results(self) -> dict[str, Any]:
        results: dict[str, Any] = {}
        if self.cost is not None:
            result = self.execution_context.result
            data = result.data if result is not None else None
            results["cost"] = cost_extension(self.cost, data, self.execution_context.context)
        if self.bucket is not None:
            results["rateLimit"] = self.bucket.as_extension()
        return results


async def take_bucket(request: Any, cost: int) -> BucketState:
    """Pour `cost` into the caller's bucket (Redis when configured, else the database)."""
    settings = request.settings
    if settings.redis_url:
        # Imported only here: the redis package is needed only where Redis is configured.
        from custgraph.ratelimit import redis_bucket

        return await redis_bucket.take(
            redis_bucket.client_for(request.engine, settings.redis_url),
            settings.rate_limit_redis_prefix + request.principal.key,
            cost,
            settings.rate_limit_capacity,
            settings.rate_limit_leak_per_second,
        )
    return await take(
        request.engine,
        request.principal.key,
        cost,
        settings.rate_limit_capacity,
        settings.rate_limit_leak_per_second,
    )


async def refund_unused(request: Any, bucket: BucketState, cost: int, data: Any) -> BucketState:
    """Give back what `cost` charged beyond the answer's actual cost; the bucket after it."""
    unused = cost - actual_cost(request, data)
    if unused <= 0 or not bucket.accepted or bucket.refunded:
        return bucket
    settings = request.settings
    key = request.principal.key
    args = (unused, settings.rate_limit_capacity, settings.rate_limit_leak_per_second)
    if settings.redis_url:
        from custgraph.ratelimit import redis_bucket

        client = redis_bucket.client_for(request.engine, settings.redis_url)
        remaining = await redis_bucket.refund(client, settings.rate_limit_redis_prefix + key, *args)
    else:
        # Not while holding the request's read connection: the refund takes one of the
        # same pool, and requests each holding one while waiting for another would
        # starve it.
        await request.reader.release_idle()
        remaining = await refund(request.engine, key, *args)
    return bucket if remaining is None else bucket.after_refund(remaining)


_COSTS: dict[tuple[str, str | None], int] = {}  # of documents without variables
_COSTS_SIZE = 256


def requested_cost(
    schema: Any, document: Any, operation: Any, query: str | None, name: str | None, variables: Any
) -> int:
    """The operation's requested cost; remembered per query text when it has no variables."""
    if variables or not query:
        return query_cost(schema, document, operation, variables)
    key = (query, name)
    cost = _COSTS.get(key)
    if cost is None:
        cost = query_cost(schema, document, operation, None)
        if len(_COSTS) >= _COSTS_SIZE:
            _COSTS.clear()
        _COSTS[key] = cost
    return cost


def cost_extension(cost: int, data: Any, context: Any) -> dict[str, int]:
    return {"requestedQueryCost": cost, "actualQueryCost": actual_cost(context, data)}


def actual_cost(context: Any, data: Any) -> int:
    """What the answer cost: the objects it holds (counted once per request)."""
    if data is None:
        return 0
    counted = getattr(context, "returned_objects", None)
    if counted is None:
        counted = returned_objects(data)
        # The refund and the response's figures ask for it after execution.
        context.returned_objects = counted
    return counted


def returned_objects(value: Any) -> int:
    """The actual cost: the objects the answer holds (the root excluded), counted as the
    requested cost counts object fields, with real list lengths instead of page sizes."""
    count = 0
    stack = list(value.values()) if isinstance(value, dict) else []
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            count += 1
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return count


def _refusal(message: str, code: ErrorCode, **figures: Any) -> ExecutionResult:
    return ExecutionResult(
        data=None, errors=[GraphQLError(message, extensions={"code": code.value, **figures})]
    )


def rate_limit_refusal(result: ExecutionResult) -> int | None:
    """The seconds to wait when `result` is a rate-limit refusal, else None."""
    for error in result.errors or ():
        extensions = error.extensions or {}
        if extensions.get("code") == ErrorCode.RATE_LIMITED.value:
            return int(extensions.get("retryAfterSeconds", 1))
    return None
