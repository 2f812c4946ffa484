"""Tracing over OTLP/HTTP: a span per GraphQL request, one per SQL statement beneath it.

The app's own exporter posts to a real OTLP receiver on a loopback port; the spans are
read once the app's lifespan has ended, which flushes what the batch still holds.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest_asyncio
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

from custgraph.app import create_app
from custgraph.auth.tokens import issue_token
from custgraph.db.engine import create_engine, create_session_factory
from custgraph.domain.staff_accounts import create_staff_user
from custgraph.observability.tracing import (
    TraceRequests,
    start_tracing,
    statement_ended,
    statement_failed,
    statement_started,
)
from custgraph.seed import seed_customers
from custgraph.settings import Settings
from tests.conftest import STAFF_PASSWORD, TEST_SECRET, settings_for
from tests.support.client import GraphQLClient
from tests.support.databases import Databases, backend
from tests.support.otlp_collector import OtlpCollector, ReceivedSpan, collecting
from tests.support.server import served

CUSTOMER_PAGE = """query CustomerPage($first: Int!) {
  customers(first: $first) { nodes {
    id email addresses { city } orders(first: 2) { nodes { reference } } } } }"""
CUSTOMER_SEARCH = """query CustomerSearch($search: String!) {
  customers(first: 5, search: $search) { nodes { id } } }"""
ADD_NOTE = """mutation AddNote($input: CustomerNoteAddInput!) {
  customerNoteAdd(input: $input) { note { id } userErrors { code } } }"""
LISTENERS = (
    ("before_cursor_execute", statement_started),
    ("after_cursor_execute", statement_ended),
    ("handle_error", statement_failed),
)


@dataclass
class TracedWorld:
    """A small seeded database of this module's own, and an OWNER to call it as."""

    url: str
    token: str
    staff_id: int

    def settings(self, **overrides: Any) -> Settings:
        return settings_for(self.url, **{"delivery_worker": False, **overrides})


@pytest_asyncio.fixture(scope="module")
async def world(databases: Databases) -> TracedWorld:
    url = await databases.create("tracing")
    settings = settings_for(url)
    engine = create_engine(settings, pooled=False)
    try:
        await seed_customers(engine, 8, 3, currency=settings.currency)
        user = await create_staff_user(
            create_session_factory(engine),
            email="tracy@staff.example.com",
            role="OWNER",
            password=STAFF_PASSWORD,
            first_name="Tracy",
            last_name="Tracer",
        )
    finally:
        await engine.dispose()
    token, _ = issue_token(TEST_SECRET, "staff", user.id, user.token_version, timedelta(hours=1))
    return TracedWorld(url=url, token=token, staff_id=user.id)


@pytest_asyncio.fixture
async def collector() -> AsyncIterator[OtlpCollector]:
    async with collecting() as running:
        yield running


def _engines(app: Starlette) -> tuple[AsyncEngine, AsyncEngine]:
    state = app.state.custgraph
    write_engine: AsyncEngine = state.session_factory.kw["bind"]
    return state.engine, write_engine


def _listening(engine: AsyncEngine) -> list[bool]:
    return [event.contains(engine.sync_engine, name, fn) for name, fn in LISTENERS]


def _only(spans: list[ReceivedSpan], name: str) -> ReceivedSpan:
    named = [span for span in spans if span.name == name]
    assert len(named) == 1, [span.name for span in spans]
    return named[0]


def _exported_values(spans: list[ReceivedSpan]) -> list[str]:
    values = []
    for span in spans:
        for attributes in (span.attributes, span.resource):
            values.extend(str(value) for value in attributes.values())
        values.extend([span.name, span.status_message])
    return values


async def test_a_query_is_a_server_span_whose_sql_statements_are_its_children(
    world: TracedWorld, collector: OtlpCollector
) -> None:
    async with served(world.settings(otlp_endpoint=collector.endpoint)) as app:
        assert all(_listening(engine) == [True] * 3 for engine in _engines(app.app))
        async with httpx.AsyncClient(base_url=app.base_url, timeout=30) as http:
            gql = GraphQLClient(http, world.token)
            page = await gql(CUSTOMER_PAGE, {"first": 5})
            emails = [node["email"] for node in page.ok()["customers"]["nodes"] if node["email"]]
            assert emails
            # The email travels as a statement parameter: it must stay in the process.
            (await gql(CUSTOMER_SEARCH, {"search": emails[0]})).ok()
    servers = collector.by_kind("SERVER")
    assert sorted(span.name for span in servers) == ["query CustomerPage", "query CustomerSearch"]
    server = _only(servers, "query CustomerPage")
    attributes = server.attributes
    assert attributes["graphql.operation.name"] == "CustomerPage"
    assert attributes["graphql.operation.type"] == "query"
    assert attributes["http.request.method"] == "POST"
    assert attributes["http.response.status_code"] == 200
    assert attributes["custgraph.request_id"] == page.headers["X-Request-Id"]
    assert attributes["custgraph.principal"] == f"staff:{world.staff_id}"
    assert attributes["custgraph.outcome"] == "ok"
    assert attributes["custgraph.statements"] >= 3  # customers, addresses, orders at least
    assert server.status == "UNSET"
    assert server.parent_span_id == ""
    assert server.resource["service.name"] == "custgraph"
    assert server.resource["service.instance.id"] == f"{socket.gethostname()}:{os.getpid()}"

    statements = collector.children_of(server)
    assert len(statements) >= attributes["custgraph.statements"]
    for statement in statements:
        assert statement.kind == "CLIENT"
        assert statement.trace_id == server.trace_id
        assert statement.attributes["db.system"] == backend()
        assert statement.attributes["db.operation"] == statement.name
        assert statement.attributes["db.statement"].upper().lstrip().startswith(statement.name)
    selects = [s for s in statements if s.name == "SELECT"]
    assert len(selects) >= 3
    assert any("addresses" in s.attributes["db.statement"] for s in selects)
    # Every statement ran inside one of the two requests.
    assert {s.parent_span_id for s in collector.by_kind("CLIENT")} == {s.span_id for s in servers}

    exported = " ".join(_exported_values(collector.spans))
    assert world.token not in exported
    for email in emails:
        assert email not in exported


async def test_a_traceparent_header_continues_the_callers_trace(
    world: TracedWorld, collector: OtlpCollector
) -> None:
    trace_id, parent_id = secrets.token_hex(16), secrets.token_hex(8)
    unsampled_trace_id = secrets.token_hex(16)
    async with (
        served(world.settings(otlp_endpoint=collector.endpoint)) as app,
        httpx.AsyncClient(base_url=app.base_url, timeout=30) as http,
    ):
        gql = GraphQLClient(http, world.token)
        headers = {"traceparent": f"00-{trace_id}-{parent_id}-01"}
        (await gql(CUSTOMER_PAGE, {"first": 2}, headers=headers)).ok()
        # A caller that samples its trace out gets neither a request span nor SQL spans.
        unsampled = {"traceparent": f"00-{unsampled_trace_id}-{parent_id}-00"}
        (await gql(CUSTOMER_SEARCH, {"search": "a"}, headers=unsampled)).ok()
    assert unsampled_trace_id not in {span.trace_id for span in collector.spans}
    server = _only(collector.by_kind("SERVER"), "query CustomerPage")
    assert (server.trace_id, server.parent_span_id) == (trace_id, parent_id)
    statements = collector.children_of(server)
    assert statements
    assert {s.trace_id for s in collector.spans} == {trace_id}


async def test_a_mutations_write_statements_are_children_of_its_server_span(
    world: TracedWorld, collector: OtlpCollector
) -> None:
    marker = f"note-{uuid.uuid4().hex}"
    # The delivery loop polls the outbox on the write engine between requests: those
    # statements belong to no request and must not become traces of their own.
    settings = world.settings(
        otlp_endpoint=collector.endpoint, delivery_worker=True, delivery_interval_seconds=0.05
    )
    async with (
        served(settings) as app,
        httpx.AsyncClient(base_url=app.base_url, timeout=30) as http,
    ):
        gql = GraphQLClient(http, world.token)
        page = (await gql(CUSTOMER_PAGE, {"first": 1})).ok()
        customer_id = page["customers"]["nodes"][0]["id"]
        added = await gql(ADD_NOTE, {"input": {"customerId": customer_id, "body": marker}})
        assert added.ok()["customerNoteAdd"]["userErrors"] == []
        await asyncio.sleep(0.2)
    server = _only(collector.by_kind("SERVER"), "mutation AddNote")
    assert server.attributes["graphql.operation.type"] == "mutation"
    assert server.attributes["custgraph.outcome"] == "ok"
    statements = collector.children_of(server)
    assert {s.trace_id for s in statements} == {server.trace_id}
    operations = {s.name for s in statements}
    assert {"INSERT", "UPDATE"} <= operations
    writes = [s for s in statements if s.name in {"INSERT", "UPDATE"}]
    assert any("INTO notes" in s.attributes["db.statement"] for s in writes)
    server_ids = {s.span_id for s in collector.by_kind("SERVER")}
    assert all(s.parent_span_id in server_ids for s in collector.by_kind("CLIENT"))
    assert marker not in " ".join(_exported_values(collector.spans))


async def test_without_an_endpoint_nothing_listens_on_the_engines(world: TracedWorld) -> None:
    app = create_app(world.settings())
    engines = _engines(app)
    try:
        assert all(_listening(engine) == [False] * 3 for engine in engines)
        assert all(m.cls is not TraceRequests for m in app.user_middleware)
    finally:
        for engine in engines:
            await engine.dispose()


async def test_a_failed_statement_is_an_error_span_naming_only_the_exception_type(
    world: TracedWorld, collector: OtlpCollector
) -> None:
    secret = f"secret-{uuid.uuid4().hex}"
    settings = world.settings(otlp_endpoint=collector.endpoint)
    tracing = start_tracing(settings)
    assert tracing is not None
    engine = create_engine(settings, pooled=False)
    tracing.trace_engine(engine)

    async def failing(_: Any) -> Response:
        async with engine.connect() as connection:
            try:
                await connection.execute(
                    text("SELECT id FROM no_such_table WHERE email = :email"), {"email": secret}
                )
            except Exception:
                return Response("failed", status_code=500)
        return Response("ran")

    inner = Starlette(routes=[Route("/graphql", failing, methods=["POST"])])
    traced = TraceRequests(inner, tracing=tracing)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=traced), base_url="http://app"
        ) as http:
            response = await http.post("/graphql", json={"query": "{ customers { totalCount } }"})
        assert response.status_code == 500
    finally:
        await engine.dispose()
        await asyncio.to_thread(tracing.shutdown)
    # Outside the GraphQL endpoint nothing names the operation: the fallback name.
    server = _only(collector.by_kind("SERVER"), "graphql")
    assert server.status == "ERROR"
    assert server.attributes["http.response.status_code"] == 500
    (failed,) = collector.children_of(server)
    assert failed.name == "SELECT"
    assert failed.status == "ERROR"
    assert failed.attributes["error.type"]
    assert failed.status_message == failed.attributes["error.type"]
    assert "no_such_table" in failed.attributes["db.statement"]
    exported = " ".join(_exported_values(collector.spans))
    assert secret not in exported
    assert "no such table" not in exported.lower()  # the driver's message stays home


async def test_a_gone_collector_holds_the_shutdown_no_longer_than_its_bound(
    world: TracedWorld,
) -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    tracing = start_tracing(world.settings(otlp_endpoint=f"http://127.0.0.1:{port}"))
    assert tracing is not None
    tracing.tracer.start_span("orphan").end()
    started = time.monotonic()
    await asyncio.to_thread(tracing.shutdown, 0.3)
    assert time.monotonic() - started < 2
