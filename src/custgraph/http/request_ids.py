"""Every HTTP request gets one request id, and every answer carries it.

The id is settled here, before anything else runs, and written back into the
request's `X-Request-Id` header, so that the GraphQL endpoint (which reads that
header) and answers made outside it (413, 404, 405) name the same id.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from custgraph.http.request_id import HEADER, request_id_from

_HEADER_BYTES = HEADER.lower().encode("latin-1")


def request_id_of(scope: Scope) -> str:
    """The id `RequestIds` settled for this request (a new one outside it)."""
    request_id = scope.get("state", {}).get("request_id")
    return request_id if isinstance(request_id, str) else request_id_from(None)


class RequestIds:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = [(k, v) for k, v in scope["headers"] if k != _HEADER_BYTES]
        offered = next((v for k, v in scope["headers"] if k == _HEADER_BYTES), None)
        request_id = request_id_from(offered.decode("latin-1") if offered else None)
        headers.append((_HEADER_BYTES, request_id.encode("latin-1")))
        scope = {**scope, "headers": headers}
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                response_headers = list(message.get("headers", []))
                if not any(k.lower() == _HEADER_BYTES for k, _ in response_headers):
                    response_headers.append((_HEADER_BYTES, request_id.encode("latin-1")))
                    message = {**message, "headers": response_headers}
            await send(message)

        await self.app(scope, receive, send_with_id)
