"""The ASGI application: routes, the GraphQL endpoint, GraphiQL and health checks."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator

from sqlalchemy import text
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from custgraph.admission import ExecutionBudget, cheap_query_limit
from custgraph.db.engine import create_engine, create_session_factory
from custgraph.db.migrate import current_revision, head_revision
from custgraph.db.reader import Reader
from custgraph.events import event_relay_for
from custgraph.http.body_limit import BodyLimit
from custgraph.http.error_response import http_exception_response
from custgraph.http.export_download import export_download
from custgraph.http.graphiql import find_graphiql_assets, graphiql_page, graphiql_routes
from custgraph.http.graphql_endpoint import GraphQLEndpoint
from custgraph.http.request_id import HEADER as REQUEST_ID_HEADER
from custgraph.http.request_ids import RequestIds
from custgraph.jobs import run_job_loop, stop_job_loop
from custgraph.mail import run_delivery_loop, senders_for
from custgraph.observability.access_log import AccessLog
from custgraph.observability.json_logs import use_json_logs
from custgraph.observability.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from custgraph.observability.metrics import Metrics
from custgraph.observability.observe_requests import ObserveRequests
from custgraph.observability.outbox_backlog import pending_outbox_messages
from custgraph.observability.tracing import TraceRequests, start_tracing
from custgraph.schema.build import build_schema
from custgraph.settings import Settings, get_settings
from custgraph.state import AppState
from custgraph.webhooks import run_webhook_loop, stop_webhook_loop

GC_YOUNG_THRESHOLD = 20_000


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or get_settings()
    if settings.log_format == "json":
        use_json_logs()
    engine = create_engine(settings)
    # Writes get a pool of their own: a request holds its read connection while its
    # mutation waits for a write connection, and one shared pool could run dry with
    # every connection held by a request waiting for another.
    write_engine = create_engine(settings, for_writes=True)
    tracing = start_tracing(settings)
    if tracing is not None:
        tracing.trace_engine(engine)
        tracing.trace_engine(write_engine)
    assets = find_graphiql_assets(settings.graphiql_assets_dir)

    def page(request_id: str) -> Response:
        if not settings.graphiql_enabled:
            return JSONResponse({"error": "GraphiQL is disabled."}, status_code=404)
        response = graphiql_page("/graphql", assets)
        response.headers[REQUEST_ID_HEADER] = request_id
        return response

    state = AppState(
        settings=settings,
        engine=engine,
        session_factory=create_session_factory(write_engine),
        schema=build_schema(),
        graphiql_page=page,
        execution_budget=(
            ExecutionBudget(
                settings.execution_budget,
                settings.execution_at_once,
                cheap_query_limit(
                    settings.execution_cheap_at_least, settings.execution_cheap_at_most
                ),
            )
            if settings.execution_budget
            else None
        ),
        access_log=AccessLog(settings.access_log_flush_seconds),
    )
    metrics = Metrics()

    async def live(_: Request) -> Response:
        return JSONResponse({"status": "live"})

    async def check_database() -> str | None:
        # Through a Reader: a pooled connection that died while idle is replaced, as a
        # request would replace it, instead of calling the database down.
        reader = Reader(engine)
        try:
            await reader.all(text("SELECT 1"))
        finally:
            await reader.close()
        return await current_revision(engine)

    async def ready(_: Request) -> Response:
        try:
            # An unreachable database must not hang the probe past its own timeout.
            revision = await asyncio.wait_for(check_database(), settings.ready_timeout_seconds)
        except TimeoutError:
            return JSONResponse({"status": "unavailable", "database": "timeout"}, status_code=503)
        except Exception as error:  # any database failure means "not ready"
            return JSONResponse(
                {"status": "unavailable", "database": type(error).__name__}, status_code=503
            )
        if revision != head_revision():
            return JSONResponse(
                {"status": "unavailable", "migrations": "not current"}, status_code=503
            )
        return JSONResponse({"status": "ready"})

    async def metrics_page(_: Request) -> Response:
        backlog = await pending_outbox_messages(engine, settings.ready_timeout_seconds)
        budget = state.execution_budget
        cheap = budget.cheap.limit if budget is not None and budget.cheap is not None else None
        return Response(metrics.render(backlog, cheap), media_type=METRICS_CONTENT_TYPE)

    senders = senders_for(settings)  # a malformed SMTP URL stops the start here
    relay = event_relay_for(settings)  # so does a malformed CUSTGRAPH_EVENTS_URL

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        # Everything built at start-up (schema, types, settings) lives as long as the
        # process; moving it out of the collector's reach cut CPU per request by 10-15 %
        # in bench/gc_check.py.
        gc.freeze()
        # A page request allocates thousands of short-lived dicts and rows; with the default
        # threshold (700) the youngest generation is collected dozens of times per request.
        # 20,000 measured 8-15 % less CPU per request (bench/inprocess.py) for a few MB.
        gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])
        stop = asyncio.Event()
        delivery = (
            asyncio.create_task(
                run_delivery_loop(
                    state.session_factory,
                    settings,
                    stop,
                    interval=settings.delivery_interval_seconds,
                    senders=senders,
                )
            )
            if settings.delivery_worker
            else None
        )
        # Webhooks go out from every process too; claims keep any two from sending one twice.
        webhooks = (
            asyncio.create_task(run_webhook_loop(state.session_factory, settings, stop))
            if settings.webhook_worker
            else None
        )
        # Publishes the change feed to the broker; only one process at a time does.
        relaying = (
            asyncio.create_task(relay.run(state.session_factory, engine, stop)) if relay else None
        )
        # Bulk jobs and exports, queued by any process, are run by any (jobs/claim.py).
        jobs = (
            asyncio.create_task(
                run_job_loop(state.session_factory, engine, settings, stop, state.job_wakeup)
            )
            if settings.job_worker
            else None
        )
        try:
            yield
        finally:
            stop.set()
            if jobs is not None:
                await stop_job_loop(jobs)
            if delivery is not None:
                await delivery
            if webhooks is not None:
                await stop_webhook_loop(webhooks)
            if relaying is not None:
                await relaying
            state.access_log.flush()
            await engine.dispose()
            await write_engine.dispose()
            if tracing is not None:
                # Exporting blocks on HTTP; the event loop must not wait meanwhile.
                await asyncio.to_thread(tracing.shutdown)

    routes = [
        Route("/graphql", GraphQLEndpoint(state).handle, methods=["GET", "POST"]),
        Route("/exports/{job_id:int}", export_download(engine, settings), methods=["GET"]),
        Route("/health/live", live),
        Route("/health/ready", ready),
        *graphiql_routes(assets),
    ]
    if settings.metrics_enabled:
        routes.append(Route("/metrics", metrics_page))
    # Outermost first: the request id is settled before anything may answer.
    middleware = [
        Middleware(RequestIds),
        Middleware(ObserveRequests, metrics=metrics, access_log=state.access_log),
    ]
    if tracing is not None:
        # Inside ObserveRequests, whose request record the span's attributes come from.
        middleware.append(Middleware(TraceRequests, tracing=tracing))
    if settings.cors_origins:
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=settings.cors_origins,
                allow_methods=["GET", "POST"],
                allow_headers=["Authorization", "Content-Type", REQUEST_ID_HEADER],
                expose_headers=[REQUEST_ID_HEADER],
                max_age=600,
            )
        )
    middleware.append(Middleware(BodyLimit, max_bytes=settings.max_body_bytes))
    app = Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers={HTTPException: http_exception_response},
        lifespan=lifespan,
    )
    app.state.custgraph = state
    return app
