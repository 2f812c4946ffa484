"""Mapping a GraphQL result to its HTTP response: the body, and the status the
GraphQL-over-HTTP specification gives it for the client's media type."""

from __future__ import annotations

from typing import Any

import orjson
from graphql import GraphQLError
from starlette.responses import Response
from strawberry.types import ExecutionResult
from strawberry.types.execution import PreExecutionError

from custgraph.api_errors import ErrorCode
from custgraph.http.graphql_request import RequestError
from custgraph.http.negotiation import GRAPHQL_RESPONSE_JSON
from custgraph.http.request_id import HEADER as REQUEST_ID_HEADER
from custgraph.ratelimit.extension import rate_limit_refusal


def is_request_error(result: ExecutionResult) -> bool:
    """Parse, validation and variable-coercion errors: nothing was executed."""
    if isinstance(result, PreExecutionError):
        return True
    return (
        result.data is None
        and bool(result.errors)
        and all(e.path is None for e in result.errors or ())
    )


def _formatted(error: GraphQLError, request_id: str) -> dict[str, Any]:
    formatted: dict[str, Any] = dict(error.formatted)
    # Parse errors bypass the schema's extensions; every error still gets a code.
    extensions = dict(formatted.get("extensions") or {})
    extensions.setdefault("code", ErrorCode.BAD_REQUEST.value)
    extensions.setdefault("requestId", request_id)
    formatted["extensions"] = extensions
    return formatted


def body_of(result: ExecutionResult, include_data: bool, request_id: str) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if result.errors:
        body["errors"] = [_formatted(e, request_id) for e in result.errors]
    if include_data:
        body["data"] = result.data
    if result.extensions:
        body["extensions"] = result.extensions
    return body


def json_response(
    body: dict[str, Any], status: int, media_type: str, request_id: str, **headers: str
) -> Response:
    return Response(
        orjson.dumps(body),
        status_code=status,
        media_type=media_type,
        headers={REQUEST_ID_HEADER: request_id, **headers},
    )


def error_body(
    message: str, code: ErrorCode, request_id: str, extensions: dict[str, Any] | None = None
) -> dict[str, Any]:
    details = {**(extensions or {}), "code": code.value, "requestId": request_id}
    return {"errors": [{"message": message, "extensions": details}]}


def is_internal(result: ExecutionResult) -> bool:
    return any((e.extensions or {}).get("code") == "INTERNAL" for e in result.errors or ())


def unauthenticated(error: Exception) -> RequestError:
    """A refused Authorization header, as the 401 it is answered with."""
    return RequestError(401, str(error), ErrorCode.UNAUTHENTICATED, {"WWW-Authenticate": "Bearer"})


def rate_limited(result: ExecutionResult) -> RequestError | None:
    """A rate-limit refusal as the HTTP 429 it is answered with, with Retry-After."""
    retry_after = rate_limit_refusal(result)
    if retry_after is None:
        return None
    figures = dict(result.errors[0].extensions or {}) if result.errors else {}
    return RequestError(
        429,
        f"Rate limited: retry in {retry_after} seconds.",
        ErrorCode.RATE_LIMITED,
        {"Retry-After": str(retry_after)},
        {**figures, **(result.extensions or {})},
    )


def result_response(result: ExecutionResult, media_type: str, request_id: str) -> Response:
    """The response to an executed request (a database outage is the caller's to map)."""
    internal = is_internal(result)
    if internal and result.data is None:
        # Nothing was answered, by our fault: say so to proxies and monitors too.
        return json_response(body_of(result, True, request_id), 500, media_type, request_id)
    request_error = not internal and is_request_error(result)
    if media_type == GRAPHQL_RESPONSE_JSON:
        status = 400 if request_error else 200
        return json_response(
            body_of(result, not request_error, request_id), status, media_type, request_id
        )
    return json_response(body_of(result, True, request_id), 200, media_type, request_id)


def request_error_response(error: RequestError, media_type: str, request_id: str) -> Response:
    return json_response(
        error_body(error.message, error.code, request_id, error.extensions),
        error.status,
        media_type,
        request_id,
        **error.headers,
    )
