"""Times each GraphQL request, counts it in the metrics and logs one line for it."""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from custgraph.http.request_ids import request_id_of
from custgraph.observability.access_log import AccessLine, AccessLog
from custgraph.observability.metrics import Metrics
from custgraph.observability.request_record import start_record


class ObserveRequests:
    def __init__(
        self, app: ASGIApp, metrics: Metrics, access_log: AccessLog, path: str = "/graphql"
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.access_log = access_log
        self.path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != self.path:
            await self.app(scope, receive, send)
            return
        record = start_record(scope)
        started = time.perf_counter()

        async def watching_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                record.status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, watching_send)
        finally:
            status = record.status
            seconds = time.perf_counter() - started
            # Answers the endpoint did not make (413, 500) have no outcome of their own.
            outcome = record.outcome or ("INTERNAL" if status >= 500 else "BAD_REQUEST")
            self.metrics.observe(record, outcome, seconds)
            if self.access_log.enabled():
                self.access_log.add(
                    AccessLine(
                        ended=time.time(),
                        request_id=request_id_of(scope),
                        method=scope["method"],
                        operation=record.operation,
                        outcome=outcome,
                        status=status,
                        duration_ms=round(seconds * 1000, 1),
                        statements=record.statements,
                        principal=record.principal_key,
                    )
                )
