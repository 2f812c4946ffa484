"""SIGTERM: `custgraph serve` finishes the requests it has, then exits in bounded time.

Requests go over connections written by hand, so that the test decides when each byte
leaves: a request whose body is only half sent when SIGTERM arrives is in flight for
certain, however fast the server is.
"""

from __future__ import annotations

import asyncio
import json
import signal
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from custgraph.db.engine import create_engine
from custgraph.db.models import CreditEntry
from custgraph.global_id import decode_global_id
from tests.api.queries import LIST_PAGE
from tests.conftest import settings_for
from tests.faults.ledger_audit import adjustments
from tests.faults.server_process import ServerProcess, server_process
from tests.faults.world import fault_world
from tests.support.databases import Databases, backend
from tests.support.truth import fetch

PAGES = 32  # concurrent list pages of 100 customers: about 50 ms of work each here
SHUTDOWN_BOUND_SECONDS = 10.0  # `docker stop` sends SIGKILL after 10 s
ANSWER_SECONDS = 15.0


class RawConnection:
    """One keep-alive HTTP/1.1 connection to the server."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def open(cls, server: ServerProcess) -> RawConnection:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        connection = cls(reader, writer)
        # An answer proves that the server has accepted the connection, not only the
        # kernel: a connection still in the listen backlog is dropped at shutdown.
        await connection.send(b"GET /health/live HTTP/1.1\r\nHost: test\r\n\r\n")
        status, _ = await connection.response()
        assert status == 200
        return connection

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def response(self) -> tuple[int, bytes]:
        head = await asyncio.wait_for(self.reader.readuntil(b"\r\n\r\n"), ANSWER_SECONDS)
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        headers = dict(
            (name.strip().lower(), value.strip())
            for name, _, value in (line.partition(":") for line in header_lines if line)
        )
        body = await asyncio.wait_for(
            self.reader.readexactly(int(headers["content-length"])), ANSWER_SECONDS
        )
        return int(status_line.split()[1]), body

    def close(self) -> None:
        self.writer.close()


def graphql_request(token: str, query: str, variables: dict[str, Any]) -> tuple[bytes, bytes]:
    """The head and the body of a POST /graphql."""
    body = json.dumps({"query": query, "variables": variables}).encode()
    head = (
        "POST /graphql HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
        f"Accept: application/json\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    return head, body


async def test_requests_in_flight_at_sigterm_complete_and_the_server_exits(
    databases: Databases, tmp_path: Path
) -> None:
    world = await fault_world(databases, "sigterm", customers=100)
    [top_up] = adjustments("sigterm", 1, world.active_customer_ids[:1])
    async with server_process(world.url, tmp_path, "sigterm") as server:
        pages = [await RawConnection.open(server) for _ in range(PAGES)]
        slow = await RawConnection.open(server)
        page_head, page_body = graphql_request(world.token, LIST_PAGE, {"first": 100})
        for connection in pages:
            await connection.send(page_head + page_body)
        answers = [asyncio.create_task(_timed_response(c)) for c in pages]
        slow_head, slow_body = graphql_request(
            world.token, top_up.ledger.document, top_up.body()["variables"]
        )
        half = len(slow_body) // 2
        await slow.send(slow_head + slow_body[:half])
        await asyncio.sleep(0.2)  # the server reads what was sent

        terminated_at = time.monotonic()
        server.signal(signal.SIGTERM)
        # Shutting down: new connections are refused, while the mutation still waits
        # for the rest of its body.
        await _until_refusing(server)
        await slow.send(slow_body[half:])
        slow_status, slow_answer = await slow.response()
        page_answers = await asyncio.gather(*answers)
        status = await server.wait_exit(SHUTDOWN_BOUND_SECONDS)
        log = server.log_text()

    assert slow_status == 200, slow_answer
    payload = json.loads(slow_answer)
    assert "errors" not in payload, payload
    entry_id = payload["data"]["customerCreditAdjust"]["creditEntry"]["id"]
    for page_status, page_answer, _ in page_answers:
        assert page_status == 200, page_answer[:500]
        page = json.loads(page_answer)
        assert "errors" not in page and len(page["data"]["customers"]["edges"]) == 100
    # Pages were still being served after the signal, not all done before it.
    assert any(done > terminated_at for _, _, done in page_answers)

    assert status is not None, f"still running {SHUTDOWN_BOUND_SECONDS} s after SIGTERM"
    assert status == 0, (status, log[-3000:])
    assert "Application shutdown complete" in log, log[-3000:]
    assert "Traceback" not in log, log[-3000:]
    await _assert_credit_entry_exists(world.url, entry_id)


async def _timed_response(connection: RawConnection) -> tuple[int, bytes, float]:
    status, body = await connection.response()
    return status, body, time.monotonic()


async def _until_refusing(server: ServerProcess) -> None:
    deadline = time.monotonic() + SHUTDOWN_BOUND_SECONDS
    while await server.accepts_connections():
        assert time.monotonic() < deadline, "the server kept accepting connections"
        await asyncio.sleep(0.02)


async def _assert_credit_entry_exists(url: str, global_id: str) -> None:
    engine = create_engine(settings_for(url), pooled=False)
    try:
        rows = await fetch(
            engine, select(CreditEntry.id).where(CreditEntry.id == decode_global_id(global_id)[1])
        )
    finally:
        await engine.dispose()
    assert len(rows) == 1


async def test_sigterm_exits_with_status_0(databases: Databases, tmp_path: Path) -> None:
    url = await databases.create("exit0")
    async with server_process(url, tmp_path, "exit0") as server:
        server.signal(signal.SIGTERM)
        status = await server.wait_exit(SHUTDOWN_BOUND_SECONDS)
    assert status == 0, status


@pytest.mark.skipif(
    backend() != "sqlite",
    reason="HTTP only, whatever the database: runs once, in the SQLite run, for its 10 s wait",
)
async def test_a_stalled_client_does_not_hold_the_shutdown_past_the_bound(
    databases: Databases, tmp_path: Path
) -> None:
    url = await databases.create("stalled")
    async with server_process(url, tmp_path, "stalled") as server:
        stalled = await RawConnection.open(server)
        head, body = graphql_request("not-a-token", "{ __typename }", {})
        await stalled.send(head + body[:5])  # and never the rest
        await asyncio.sleep(0.2)  # the server reads what was sent
        server.signal(signal.SIGTERM)
        status = await server.wait_exit(SHUTDOWN_BOUND_SECONDS)
        stalled.close()
    assert status is not None, f"still running {SHUTDOWN_BOUND_SECONDS} s after SIGTERM"
