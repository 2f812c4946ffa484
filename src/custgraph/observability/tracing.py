"""OpenTelemetry traces: a SERVER span per GraphQL request, a CLIENT span per SQL statement.

Off unless `CUSTGRAPH_OTLP_ENDPOINT` is set. Then a background thread batches the
spans and posts them to `<endpoint>/v1/traces` (OTLP/HTTP, protobuf). The standard
`OTEL_*` variables of the SDK (sampler, resource attributes, export timeout) apply.
"""

from __future__ import annotations

import os
import re
import socket
import threading
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import SERVICE_INSTANCE_ID, SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import Span, SpanKind, Status, StatusCode, Tracer
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from sqlalchemy import event
from sqlalchemy.engine import Connection, ExceptionContext, ExecutionContext
from sqlalchemy.engine.interfaces import DBAPICursor
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.types import ASGIApp, Receive, Scope, Send

from custgraph import __version__
from custgraph.http.request_ids import request_id_of
from custgraph.observability.request_record import record_of
from custgraph.settings import Settings

# Spans still queued at exit get this long to reach the collector: one that answers at
# all takes milliseconds, and one that is gone must not hold the shutdown past the
# grace that orchestrators give a process before they kill it.
SHUTDOWN_SECONDS = 3.0

# The tracer of the request being traced rides in the OpenTelemetry context, so that
# the SQL listeners (module functions, shared by every engine) trace statements only
# inside a traced request, and with that request's app's tracer.
_TRACER_KEY = otel_context.create_key("custgraph-tracer")
# Where a statement's span waits, on SQLAlchemy's execution context, for its end.
_SPAN_ATTRIBUTE = "_custgraph_span"
_FIRST_WORD = re.compile(r"\s*([A-Za-z]+)")
# Only W3C trace context: a global propagator is process state that tests and
# embedding applications would share.
_PROPAGATOR = TraceContextTextMapPropagator()
_PROPAGATED_HEADERS = frozenset({b"traceparent", b"tracestate"})


class Tracing:
    """This process's tracer, and the provider that batches and exports its spans."""

    def __init__(self, provider: TracerProvider) -> None:
        self.provider = provider
        self.tracer: Tracer = provider.get_tracer("custgraph", __version__)

    def trace_engine(self, engine: AsyncEngine) -> None:
        """Give each SQL statement that `engine` runs within a traced request a span."""
        # The async engine runs these sync events in a greenlet that shares the request
        # task's contextvars, so the request's span is current in them.
        target = engine.sync_engine
        event.listen(target, "before_cursor_execute", statement_started)
        event.listen(target, "after_cursor_execute", statement_ended)
        event.listen(target, "handle_error", statement_failed)

    def shutdown(self, timeout_seconds: float = SHUTDOWN_SECONDS) -> None:
        """Export the spans still queued, then stop; gives up after `timeout_seconds`.

        Never raises: a collector that is gone costs the timeout, and the exporter logs
        and drops what it could not send.
        """
        # The SDK's own shutdown would wait out retries for up to 30 s.
        stopping = threading.Thread(
            target=self.provider.shutdown, name="custgraph-tracing-shutdown", daemon=True
        )
        stopping.start()
        stopping.join(timeout_seconds)


def start_tracing(settings: Settings) -> Tracing | None:
    """Tracing to `settings.otlp_endpoint`; None, and nothing traced, when it is unset."""
    if not settings.otlp_endpoint:
        return None
    resource = Resource.create(
        {
            SERVICE_NAME: settings.otel_service_name,
            # Worker processes of one host share a service name; this tells them apart.
            SERVICE_INSTANCE_ID: f"{socket.gethostname()}:{os.getpid()}",
        }
    )
    # Not the global provider, and no exit hook: each app owns its provider (several
    # apps live in one test process) and its lifespan flushes it.
    provider = TracerProvider(resource=resource, shutdown_on_exit=False)
    endpoint = f"{settings.otlp_endpoint.rstrip('/')}/v1/traces"
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
    return Tracing(provider)


# --- SQL statements ---------------------------------------------------------------------


def statement_started(
    connection: Connection,
    _cursor: DBAPICursor,
    statement: str,
    _parameters: Any,
    context: ExecutionContext | None,
    _executemany: bool,
) -> None:
    """SQLAlchemy `before_cursor_execute`: open the statement's CLIENT span."""
    tracer = otel_context.get_value(_TRACER_KEY)
    # Outside a request (delivery loop, health probes) there is no trace to join; an
    # unsampled request's statements are not recorded either.
    if (
        context is None
        or not isinstance(tracer, Tracer)
        or not trace.get_current_span().is_recording()
    ):
        return
    match = _FIRST_WORD.match(statement)
    # The first keyword alone names the span: span names must stay few.
    operation = match.group(1).upper() if match else "SQL"
    span = tracer.start_span(
        operation,
        kind=SpanKind.CLIENT,
        attributes={
            "db.system": connection.dialect.name,
            # The text with its placeholders: parameter values hold emails, password
            # hashes and tokens, and never leave the process.
            "db.statement": statement,
            "db.operation": operation,
        },
    )
    setattr(context, _SPAN_ATTRIBUTE, span)


def statement_ended(
    _connection: Connection,
    _cursor: DBAPICursor,
    _statement: str,
    _parameters: Any,
    context: ExecutionContext | None,
    _executemany: bool,
) -> None:
    """SQLAlchemy `after_cursor_execute`: end the statement's span."""
    span = _take_span(context)
    if span is not None:
        span.end()


def statement_failed(exception_context: ExceptionContext) -> None:
    """SQLAlchemy `handle_error`: end the statement's span as failed."""
    span = _take_span(exception_context.execution_context)
    if span is None:
        return
    # The type only: a driver's message can quote the values of the statement.
    error_type = type(exception_context.original_exception).__qualname__
    span.set_attribute("error.type", error_type)
    span.set_status(Status(StatusCode.ERROR, error_type))
    span.end()


def _take_span(context: ExecutionContext | None) -> Span | None:
    span = getattr(context, _SPAN_ATTRIBUTE, None)
    if not isinstance(span, Span):
        return None
    # An error while fetching, after the statement's span ended, must not end it again.
    setattr(context, _SPAN_ATTRIBUTE, None)
    return span


# --- GraphQL requests -------------------------------------------------------------------


class TraceRequests:
    """A SERVER span around each GraphQL request, continuing the caller's trace.

    Must sit inside `ObserveRequests`: the span's attributes come from the request
    record that `ObserveRequests` starts and the endpoint fills in.
    """

    def __init__(self, app: ASGIApp, tracing: Tracing, path: str = "/graphql") -> None:
        self.app = app
        self.tracer = tracing.tracer
        self.path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != self.path:
            await self.app(scope, receive, send)
            return
        carrier = {
            name.decode("latin-1"): value.decode("latin-1")
            for name, value in scope["headers"]
            if name in _PROPAGATED_HEADERS
        }
        parent = _PROPAGATOR.extract(carrier)
        span = self.tracer.start_span(
            "graphql",
            context=parent,
            kind=SpanKind.SERVER,
            attributes={"http.request.method": scope["method"]},
        )
        # An unsampled request (the caller's choice, or the SDK's sampler) records nothing.
        recording = span.is_recording()

        current = trace.set_span_in_context(span, otel_context.set_value(_TRACER_KEY, self.tracer))
        token = otel_context.attach(current)
        try:
            await self.app(scope, receive, send)
        except Exception as error:
            span.set_attribute("error.type", type(error).__qualname__)
            raise
        finally:
            otel_context.detach(token)
            if recording:
                _finish(span, scope)
            else:
                span.end()


def _finish(span: Span, scope: Scope) -> None:
    record = record_of(scope)
    # ObserveRequests, around this middleware, notes the status as the answer starts.
    status = record.status
    name = record.operation
    operation_type = record.operation_type
    if operation_type and name:
        span.update_name(f"{operation_type} {name}")
    elif operation_type:
        span.update_name(operation_type)
    if name:
        span.set_attribute("graphql.operation.name", name)
    if operation_type:
        span.set_attribute("graphql.operation.type", operation_type)
    span.set_attribute("http.response.status_code", status)
    span.set_attribute("custgraph.request_id", request_id_of(scope))
    if record.principal_key:
        span.set_attribute("custgraph.principal", record.principal_key)
    # As ObserveRequests logs it: answers the endpoint did not make have no outcome.
    outcome = record.outcome or ("INTERNAL" if status >= 500 else "BAD_REQUEST")
    span.set_attribute("custgraph.outcome", outcome)
    span.set_attribute("custgraph.statements", record.statements)
    if status >= 500:
        span.set_status(Status(StatusCode.ERROR))
    span.end()
