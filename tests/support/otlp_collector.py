"""A real OTLP/HTTP trace receiver on a loopback port, served in the test's event loop.

It takes what an OpenTelemetry exporter posts to `/v1/traces` (protobuf), decodes it
with the protocol's own messages and keeps every span, flattened for assertions.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import uvicorn
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

PROTOBUF = "application/x-protobuf"


@dataclass(frozen=True)
class ReceivedSpan:
    name: str
    kind: str  # SERVER, CLIENT, ...
    trace_id: str  # hex, as in a traceparent header
    span_id: str
    parent_span_id: str  # "" for a root span
    attributes: dict[str, Any]
    status: str  # UNSET, OK, ERROR
    status_message: str
    resource: dict[str, Any]  # the attributes of the process that sent it


def _value(value: AnyValue) -> Any:
    kind = value.WhichOneof("value")
    if kind == "array_value":
        return [_value(v) for v in value.array_value.values]
    if kind == "kvlist_value":
        return _attributes(value.kvlist_value.values)
    return getattr(value, kind) if kind else None


def _attributes(pairs: Any) -> dict[str, Any]:
    attributes: dict[str, Any] = {}
    for pair in pairs:
        assert isinstance(pair, KeyValue)
        attributes[pair.key] = _value(pair.value)
    return attributes


class OtlpCollector:
    def __init__(self) -> None:
        self.spans: list[ReceivedSpan] = []
        self.endpoint = ""  # http://127.0.0.1:<port>, once it listens

    def by_kind(self, kind: str) -> list[ReceivedSpan]:
        return [span for span in self.spans if span.kind == kind]

    def children_of(self, parent: ReceivedSpan) -> list[ReceivedSpan]:
        return [span for span in self.spans if span.parent_span_id == parent.span_id]

    async def receive(self, request: Request) -> Response:
        if request.headers.get("content-type") != PROTOBUF:
            return Response("Send OTLP protobuf.", status_code=415)
        body = await request.body()
        if request.headers.get("content-encoding") == "gzip":
            body = gzip.decompress(body)
        message = ExportTraceServiceRequest()
        message.ParseFromString(body)
        for resource_spans in message.resource_spans:
            resource = _attributes(resource_spans.resource.attributes)
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    self.spans.append(
                        ReceivedSpan(
                            name=span.name,
                            kind=Span.SpanKind.Name(span.kind).removeprefix("SPAN_KIND_"),
                            trace_id=span.trace_id.hex(),
                            span_id=span.span_id.hex(),
                            parent_span_id=span.parent_span_id.hex(),
                            attributes=_attributes(span.attributes),
                            status=Status.StatusCode.Name(span.status.code).removeprefix(
                                "STATUS_CODE_"
                            ),
                            status_message=span.status.message,
                            resource=resource,
                        )
                    )
        return Response(ExportTraceServiceResponse().SerializeToString(), media_type=PROTOBUF)


@contextlib.asynccontextmanager
async def collecting() -> AsyncIterator[OtlpCollector]:
    """A collector listening on a free loopback port until the block ends."""
    collector = OtlpCollector()
    app = Starlette(routes=[Route("/v1/traces", collector.receive, methods=["POST"])])
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    collector.endpoint = f"http://127.0.0.1:{port}"
    try:
        yield collector
    finally:
        server.should_exit = True
        await task
