"""Reading a GraphQL-over-HTTP request: the query, variables and operation name, or the
reason the request is unusable (`RequestError`, answered with its status and no data)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import orjson
from starlette.requests import Request
from strawberry.types.graphql import OperationType

from custgraph.api_errors import ErrorCode

QUERIES_ONLY = (OperationType.QUERY,)
ALL_OPERATIONS = (OperationType.QUERY, OperationType.MUTATION)


class RequestError(Exception):
    """The HTTP request itself is unusable; answered with `status` and no `data`."""

    def __init__(
        self,
        status: int,
        message: str,
        code: ErrorCode = ErrorCode.BAD_REQUEST,
        headers: dict[str, str] | None = None,
        extensions: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.headers = headers or {}
        self.extensions = extensions or {}


@dataclass(frozen=True)
class GraphQLRequest:
    query: str
    variables: dict[str, Any] | None
    operation_name: str | None


def _holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_nul(v) for v in value)
    return False


def _parse_params(data: Any) -> GraphQLRequest:
    if isinstance(data, list):
        raise RequestError(400, "Batched requests are not supported; send one operation.")
    if not isinstance(data, dict):
        raise RequestError(400, "The request body must be a JSON object.")
    query = data.get("query")
    if not isinstance(query, str) or not query.strip():
        raise RequestError(400, "The request has no `query` string.")
    variables = data.get("variables")
    if variables is not None and not isinstance(variables, dict):
        raise RequestError(400, "`variables` must be a JSON object.")
    operation_name = data.get("operationName")
    if operation_name is not None and not isinstance(operation_name, str):
        raise RequestError(400, "`operationName` must be a string.")
    extensions = data.get("extensions")
    if extensions is not None and not isinstance(extensions, dict):
        # No request extension is used here, but the specification wants one sent as a map.
        raise RequestError(400, "`extensions` must be a JSON object.")
    # No text field of ours holds a NUL character, and PostgreSQL cannot store one.
    if _holds_nul([query, variables, operation_name]):
        raise RequestError(400, "The request holds a NUL character, which no field accepts.")
    return GraphQLRequest(query, variables, operation_name)


async def read_graphql_request(request: Request) -> GraphQLRequest:
    """The request's query, variables and operation name, from a GET's query string or a
    POST's JSON body; a RequestError for anything unusable."""
    if request.method == "GET":
        params: dict[str, Any] = dict(request.query_params)
        for name in ("variables", "extensions"):
            if name in params:
                try:
                    params[name] = json.loads(params[name])
                except ValueError:
                    raise RequestError(400, f"`{name}` is not valid JSON.") from None
        return _parse_params(params)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise RequestError(415, "Send the request as `Content-Type: application/json`.")
    body = await request.body()
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise RequestError(400, "The request body is not valid JSON.") from None
    return _parse_params(data)
