"""Give every error a contract code; hide what went wrong inside behind INTERNAL."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionResult

from custgraph.api_errors import ErrorCode

log = logging.getLogger("custgraph.errors")


class ContractErrors(SchemaExtension):
    """Runs after each operation.

    Parse, validation and variable errors become BAD_REQUEST; errors raised on purpose
    (ApiError, permission refusals) keep their code; anything else is logged with its
    stack and the request id and reaches the client only as INTERNAL with that id.
    """

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is None or not result.errors:
            return
        request_id = getattr(self.execution_context.context, "request_id", None)
        result.errors = [contract_error(e, request_id) for e in result.errors]


def contract_error(error: GraphQLError, request_id: str | None) -> GraphQLError:
    """`error` with its contract code; an unexpected exception logged and masked."""
    original = error.original_error
    extensions = dict(error.extensions or {})
    if original is not None and not isinstance(original, GraphQLError):
        log.error(
            "unexpected error in %s (request %s)",
            ".".join(str(p) for p in error.path or ()),
            request_id,
            exc_info=original,
        )
        return GraphQLError(
            f"Internal server error (request id {request_id}).",
            nodes=error.nodes,
            path=error.path,
            extensions={"code": ErrorCode.INTERNAL.value, "requestId": request_id},
        )
    extensions.setdefault("code", ErrorCode.BAD_REQUEST.value)
    extensions["requestId"] = request_id
    error.extensions = extensions
    return error


def cap_errors(result: ExecutionResult, max_errors: int) -> None:
    """Keep at most `max_errors` of `result`'s errors; the number left out goes in its
    `extensions.errorsOmitted`, so that no request makes the server write an error per
    repetition of whatever it sent."""
    errors = result.errors
    if errors is None or len(errors) <= max_errors:
        return
    result.errors = errors[:max_errors]
    result.extensions = {**(result.extensions or {}), "errorsOmitted": len(errors) - max_errors}
