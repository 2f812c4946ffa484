"""The operator's view: /metrics, one log line per request, health with the database down."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from custgraph.auth.tokens import issue_token
from custgraph.observability.json_logs import JsonFormatter
from tests.api.test_commercial import new_customer
from tests.conftest import TEST_SECRET, SeededWorld, settings_for
from tests.support.client import GraphQLClient
from tests.support.server import served

UNREACHABLE_DATABASE = "postgresql+asyncpg://postgres@127.0.0.1:1/postgres"
NOTE_ADD = """mutation MetricsNoteAdd($input: CustomerNoteAddInput!) {
  customerNoteAdd(input: $input) { note { id } userErrors { code } } }"""


async def _samples(http: httpx.AsyncClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = await http.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def _requests(
    samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], op: str, outcome: str
) -> float:
    key = ("custgraph_graphql_requests_total", (("operation", op), ("outcome", outcome)))
    return samples.get(key, 0.0)


async def test_metrics_count_requests_by_operation_and_outcome(
    writable_http: httpx.AsyncClient, wgql: GraphQLClient, writable: SeededWorld
) -> None:
    customer_id = await new_customer(writable)
    before = await _samples(writable_http)
    ok = await wgql(NOTE_ADD, {"input": {"customerId": customer_id, "body": "Metrics."}})
    assert ok.ok()["customerNoteAdd"]["userErrors"] == []
    refused = await wgql(NOTE_ADD, {"input": {"customerId": customer_id, "body": ""}})
    assert refused.ok()["customerNoteAdd"]["userErrors"]
    viewer = wgql.as_(writable.tokens["VIEWER"])
    forbidden = await viewer(NOTE_ADD, {"input": {"customerId": customer_id, "body": "No."}})
    assert forbidden.codes == ["FORBIDDEN"]
    await wgql("query MetricsBroken { noSuchField }")
    after = await _samples(writable_http)

    for outcome in ("ok", "user_error", "FORBIDDEN"):
        assert _requests(after, "MetricsNoteAdd", outcome) == (
            _requests(before, "MetricsNoteAdd", outcome) + 1
        ), outcome
    assert _requests(after, "MetricsBroken", "BAD_REQUEST") == 1
    duration = (
        "custgraph_graphql_request_duration_seconds_count",
        (("operation", "MetricsNoteAdd"),),
    )
    assert after[duration] == before.get(duration, 0) + 3
    statements = ("custgraph_graphql_sql_statements_count", ())
    assert after[statements] >= before[statements] + 4
    assert (
        after[("custgraph_graphql_sql_statements_sum", ())]
        > before[("custgraph_graphql_sql_statements_sum", ())]
    )
    backlog = after[("custgraph_outbox_pending_messages", ())]
    assert backlog >= 0


async def test_the_outbox_backlog_is_read_when_scraped(seeded: SeededWorld) -> None:
    # The seeded world has no delivery worker: whatever the seed queued stays pending.
    async with httpx.AsyncClient(base_url=seeded.app.base_url) as http:
        samples = await _samples(http)
    assert samples[("custgraph_outbox_pending_messages", ())] >= 0


async def test_each_graphql_request_logs_one_structured_line(
    gql: GraphQLClient, seeded: SeededWorld, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="custgraph.requests"):
        response = await gql(
            "query LoggedCount { customers(first: 2) { totalCount } }",
            headers={"X-Request-Id": "log-line-1"},
        )
        assert response.ok()
        seeded.app.state.access_log.flush()
    records = [r for r in caplog.records if getattr(r, "request_id", None) == "log-line-1"]
    assert len(records) == 1
    line = json.loads(JsonFormatter().format(records[0]))
    assert line["request_id"] == "log-line-1"
    assert line["principal"] == f"staff:{seeded.staff_ids['OWNER']}"
    assert line["operation"] == "LoggedCount"
    assert line["status"] == 200
    assert line["outcome"] == "ok"
    assert line["statements"] >= 2
    assert isinstance(line["duration_ms"], float)
    assert line["level"] == "INFO" and line["logger"] == "custgraph.requests"


def _access_lines(caplog: pytest.LogCaptureFixture, request_id: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if getattr(r, "request_id", None) == request_id]


@contextlib.asynccontextmanager
async def _serving(
    seeded: SeededWorld, flush_seconds: float
) -> AsyncIterator[Callable[[str], Awaitable[None]]]:
    """An app of the seeded world's database with its own access log flush interval;
    yields a call that sends a query with the given request id."""
    settings = settings_for(
        str(seeded.app.state.settings.database_url),
        delivery_worker=False,
        access_log_flush_seconds=flush_seconds,
    )
    async with served(settings) as app, httpx.AsyncClient(base_url=app.base_url) as http:

        async def send(request_id: str) -> None:
            answer = await http.post(
                "/graphql", json={"query": "{ __typename }"}, headers={"X-Request-Id": request_id}
            )
            assert answer.is_success

        yield send


async def test_access_lines_are_written_together_after_the_flush_interval(
    seeded: SeededWorld, caplog: pytest.LogCaptureFixture
) -> None:
    async with _serving(seeded, 0.3) as send:
        with caplog.at_level(logging.INFO, logger="custgraph.requests"):
            sent = time.time()
            for n in range(3):
                await send(f"batched-{n}")
            answered = time.time()
            assert not any(_access_lines(caplog, f"batched-{n}") for n in range(3))
            await asyncio.sleep(0.5)
            records = [_access_lines(caplog, f"batched-{n}") for n in range(3)]
    assert [len(r) for r in records] == [1, 1, 1]
    # Each line has the time its request ended, not the time it was written.
    times = [r[0].created for r in records]
    assert sent <= times[0] <= times[1] <= times[2] <= answered
    assert records[0][0].getMessage().startswith("batched-0 POST - ok 200 ")


async def test_access_lines_kept_are_written_when_the_app_stops(
    seeded: SeededWorld, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="custgraph.requests"):
        async with _serving(seeded, 60) as send:
            await send("kept-1")
            assert _access_lines(caplog, "kept-1") == []
        assert len(_access_lines(caplog, "kept-1")) == 1


async def test_with_no_flush_interval_each_line_is_written_as_its_request_ends(
    seeded: SeededWorld, caplog: pytest.LogCaptureFixture
) -> None:
    async with _serving(seeded, 0) as send:
        with caplog.at_level(logging.INFO, logger="custgraph.requests"):
            await send("at-once-1")
            assert len(_access_lines(caplog, "at-once-1")) == 1


async def test_with_the_database_unreachable_answers_come_in_bounded_time() -> None:
    settings = settings_for(UNREACHABLE_DATABASE, delivery_worker=False)
    async with (
        served(settings) as app,
        httpx.AsyncClient(base_url=app.base_url, timeout=10) as http,
    ):
        assert (await http.get("/health/live")).status_code == 200

        started = time.monotonic()
        ready = await http.get("/health/ready")
        assert ready.status_code == 503
        assert time.monotonic() - started < 3

        started = time.monotonic()
        # A well-formed staff token: authenticating it needs the database.
        token = _any_staff_token()
        response = await http.post(
            "/graphql",
            json={"query": "{ viewer { name } }"},
            headers={"Authorization": f"Bearer {token}", "X-Request-Id": "db-down-1"},
        )
        assert time.monotonic() - started < 3
        assert response.status_code == 503
        assert response.headers["retry-after"]
        error = response.json()["errors"][0]
        assert error["extensions"] == {
            "code": "INTERNAL",
            "requestId": "db-down-1",
            "reason": "DATABASE_UNAVAILABLE",
        }
        assert "database is unavailable" in error["message"]

        started = time.monotonic()
        sign_in = await http.post(
            "/graphql",
            json={
                "query": 'mutation { staffLogin(input: {email: "a@example.com", password: "x"})'
                " { token } }"
            },
        )
        assert time.monotonic() - started < 3
        assert sign_in.status_code == 503
        assert sign_in.json()["errors"][0]["extensions"]["code"] == "INTERNAL"
        assert "data" not in sign_in.json()

        metrics = await http.get("/metrics")
        assert metrics.status_code == 200
        assert "custgraph_outbox_pending_messages NaN" in metrics.text


def _any_staff_token() -> str:
    token, _ = issue_token(TEST_SECRET, "staff", 1, 0, timedelta(minutes=5))
    return token


async def test_a_database_that_never_answers_is_given_up_on_in_bounded_time() -> None:
    # A server that accepts connections and then says nothing: asyncpg waits for its
    # greeting until the connect timeout.
    silent = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = silent.sockets[0].getsockname()[1]
    settings = settings_for(
        f"postgresql+asyncpg://postgres@127.0.0.1:{port}/postgres",
        delivery_worker=False,
        db_connect_timeout_seconds=1.0,
    )
    try:
        async with (
            served(settings) as app,
            httpx.AsyncClient(base_url=app.base_url, timeout=10) as http,
        ):
            started = time.monotonic()
            ready = await http.get("/health/ready")
            assert ready.status_code == 503
            assert 0.9 < time.monotonic() - started < 3

            started = time.monotonic()
            response = await http.post(
                "/graphql",
                json={"query": "{ viewer { name } }"},
                headers={"Authorization": f"Bearer {_any_staff_token()}"},
            )
            assert 0.9 < time.monotonic() - started < 3
            assert response.status_code == 503
            assert response.json()["errors"][0]["extensions"]["code"] == "INTERNAL"
    finally:
        silent.close()
