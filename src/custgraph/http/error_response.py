"""Answers made outside the GraphQL endpoint, in the same shape as its errors."""

from __future__ import annotations

import orjson
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from custgraph.api_errors import ErrorCode
from custgraph.http.request_id import HEADER as REQUEST_ID_HEADER
from custgraph.http.request_ids import request_id_of


def error_response(
    status: int,
    message: str,
    code: ErrorCode,
    request_id: str,
    headers: dict[str, str] | None = None,
) -> Response:
    body = {
        "errors": [
            {"message": message, "extensions": {"code": code.value, "requestId": request_id}}
        ]
    }
    return Response(
        orjson.dumps(body),
        status_code=status,
        media_type="application/json",
        headers={REQUEST_ID_HEADER: request_id, **(headers or {})},
    )


async def http_exception_response(request: Request, error: Exception) -> Response:
    """Starlette's 404 and 405 (no such path, wrong method) as contract errors."""
    assert isinstance(error, HTTPException)
    code = ErrorCode.NOT_FOUND if error.status_code == 404 else ErrorCode.BAD_REQUEST
    return error_response(
        error.status_code,
        error.detail,
        code,
        request_id_of(request.scope),
        dict(error.headers or {}),
    )
