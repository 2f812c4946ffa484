"""The database going away and coming back while the app keeps running.

The app reaches PostgreSQL through a TCP proxy that the test cuts (every connection
reset, new ones refused) or freezes (no byte passes, nothing is reset), then restores.
During the outage requests must be answered 503 in bounded time; afterwards the same
process must serve again by itself, with its pooled connections to the old server
silently replaced; and money mutations caught by the cut must be wholly applied or not
at all, with retries applying them once.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy.engine import make_url

from custgraph.db.engine import create_engine
from tests.conftest import settings_for
from tests.faults.ledger_audit import (
    Adjustment,
    Answer,
    Applied,
    adjustments,
    audit,
    send,
    versions,
)
from tests.faults.world import FaultWorld, fault_world, quiesced
from tests.support.databases import Databases, asyncpg_dsn, backend, postgres_server
from tests.support.server import ServedApp, served
from tests.support.tcp_proxy import TcpProxy, proxied

pytestmark = pytest.mark.skipif(
    backend() != "postgresql",
    reason="an outage is a lost connection to a database server; SQLite is a file opened "
    "in the app's own process, with no connection to cut (set CUSTGRAPH_TEST_POSTGRES)",
)

ANSWER_BOUND_SECONDS = 10.0  # how long any answer may take while the database is away
RECOVERY_SECONDS = 10.0  # how long the app may take to be ready once it is back
READERS = 16  # more concurrent reads than the read pool keeps (10)
READ = """query OutageRead { customers(first: 5) {
  nodes { id reference creditBalance { amount } pointsBalance } } }"""


def _upstream() -> tuple[str, int]:
    server = make_url(postgres_server() or "")
    return server.host or "127.0.0.1", server.port or 5432


def _through(proxy: TcpProxy, url: str) -> str:
    return make_url(url).set(host=proxy.host, port=proxy.port).render_as_string(hide_password=False)


class Timed:
    """Requests to the app, each with how long its answer took."""

    def __init__(self, http: httpx.AsyncClient, token: str) -> None:
        self.http = http
        self.token = token
        self.slowest = 0.0

    async def _timed(self, call: Awaitable[Any]) -> Any:
        started = time.monotonic()
        try:
            return await call
        finally:
            self.slowest = max(self.slowest, time.monotonic() - started)

    async def read(self) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}
        return await self._timed(self.http.post("/graphql", json={"query": READ}, headers=headers))

    async def reads(self, count: int) -> list[httpx.Response]:
        return list(await asyncio.gather(*(self.read() for _ in range(count))))

    async def ready(self) -> httpx.Response:
        return await self._timed(self.http.get("/health/ready"))

    async def adjust(self, adjustments: Sequence[Adjustment], attempt: int) -> list[Answer]:
        return list(
            await asyncio.gather(
                *(self._timed(send(self.http, self.token, a, attempt)) for a in adjustments)
            )
        )


def _assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, (response.status_code, response.text)
    assert int(response.headers["retry-after"]) > 0
    errors = response.json()["errors"]
    assert [e["extensions"]["code"] for e in errors] == ["INTERNAL"]
    assert errors[0]["extensions"]["reason"] == "DATABASE_UNAVAILABLE"


def _assert_unavailable_answer(answer: Answer) -> None:
    assert answer.status == 503, answer
    assert answer.retry_after is not None and int(answer.retry_after) > 0, answer
    assert [e["extensions"]["code"] for e in answer.body["errors"]] == ["INTERNAL"], answer
    assert answer.body["errors"][0]["extensions"]["reason"] == "DATABASE_UNAVAILABLE", answer


def _assert_caught_by_the_cut(answer: Answer) -> None:
    """A mutation in flight when the connections were reset: 503, or the plain-text 500
    that `test_a_mutation_in_flight_when_the_connection_drops_is_answered_503` shows."""
    if answer.status == 500 and answer.body == "Internal Server Error":
        return
    _assert_unavailable_answer(answer)


def _app(world: FaultWorld, proxy: TcpProxy) -> AbstractAsyncContextManager[ServedApp]:
    """The app served in-process, reaching the database through `proxy`."""
    settings = settings_for(_through(proxy, world.url), delivery_worker=False)
    return served(settings, timeout_graceful_shutdown=5)


async def test_a_cut_is_answered_503_in_bounded_time_and_service_resumes_without_restart(
    databases: Databases,
) -> None:
    world = await fault_world(databases, "outage", customers=5)
    customers = world.active_customer_ids[:2]
    sent = adjustments("outage", 48, customers)
    healthy, caught, during, after = sent[:8], sent[8:40], sent[40:42], sent[42:]
    direct = create_engine(settings_for(world.url), pooled=False)
    try:
        before = await versions(direct, customers)
        async with (
            proxied(*_upstream()) as proxy,
            _app(world, proxy) as app,
            httpx.AsyncClient(base_url=app.base_url, timeout=30) as http,
        ):
            client = Timed(http, world.token)
            # Healthy: both pools hold connections through the proxy.
            assert (await client.ready()).status_code == 200
            assert all(r.status_code == 200 for r in await client.reads(READERS))
            assert all(a.succeeded for a in await client.adjust(healthy, 1))

            # The cut lands in the middle of a burst of mutations.
            client.slowest = 0.0
            answers = await _burst_cut_after(client, proxy, caught, successes=4)
            confirmed = {a.key: answers[a.key].entry_id for a in caught if answers[a.key].succeeded}
            failed = [a for a in caught if not answers[a.key].succeeded]
            assert failed, "the cut came after the burst"
            for adjustment in failed:
                _assert_caught_by_the_cut(answers[adjustment.key])

            # While it lasts: reads, mutations and readiness are 503, promptly.
            for response in await client.reads(READERS):
                _assert_unavailable(response)
            for answer in await client.adjust(during, 1):
                _assert_unavailable_answer(answer)
            not_ready = await client.ready()
            assert not_ready.status_code == 503, not_ready.text
            assert client.slowest < ANSWER_BOUND_SECONDS, client.slowest

            # Nothing half-written, every confirmed adjustment kept.
            await quiesced(world.url)
            applied = await audit(direct, [*healthy, *caught, *during], before)
            assert set(a.key for a in healthy) <= set(applied)
            for key, entry_id in confirmed.items():
                assert applied[key].entry_id == entry_id, key
            assert not set(a.key for a in during) & set(applied)

            # Back: the same app is ready again and serves every request at once.
            await proxy.restore()
            await _wait_ready(http)
            assert all(r.status_code == 200 for r in await client.reads(READERS)), "stale pool"
            retried = [*failed, *failed, *during]
            again = await client.adjust([*retried, *after], 2)
            for adjustment, answer in zip([*retried, *after], again, strict=True):
                assert answer.succeeded, (adjustment.key, answer)
                if adjustment.key in applied:
                    assert answer.entry_id == applied[adjustment.key].entry_id, adjustment.key

        final = await audit(direct, sent, before)
        assert set(final) == {a.key for a in sent}  # each applied once
        assert {k: v for k, v in final.items() if k in applied} == applied
    finally:
        await direct.dispose()


async def test_connections_cut_while_idle_are_replaced_without_failing_a_request(
    databases: Databases,
) -> None:
    world = await fault_world(databases, "idlecut", customers=5)
    customers = world.active_customer_ids[:2]
    sent = adjustments("idlecut", 16, customers)
    direct = create_engine(settings_for(world.url), pooled=False)
    try:
        before = await versions(direct, customers)
        async with (
            proxied(*_upstream()) as proxy,
            _app(world, proxy) as app,
            httpx.AsyncClient(base_url=app.base_url, timeout=30) as http,
        ):
            client = Timed(http, world.token)
            assert all(r.status_code == 200 for r in await client.reads(READERS))
            assert all(a.succeeded for a in await client.adjust(sent[:8], 1))
            opened = proxy.accepted

            # Every pooled connection dies while nobody is asking.
            await proxy.cut()
            await proxy.restore()

            assert (await client.ready()).status_code == 200
            reads = await client.reads(READERS)
            assert [r.status_code for r in reads] == [200] * READERS, [r.text for r in reads]
            answers = await client.adjust(sent[8:], 1)
            assert all(a.succeeded for a in answers), answers
            assert proxy.accepted > opened  # served over new connections
        assert set(await audit(direct, sent, before)) == {a.key for a in sent}
    finally:
        await direct.dispose()


async def _burst_cut_after(
    client: Timed, proxy: TcpProxy, sent: Sequence[Adjustment], successes: int
) -> dict[str, Answer]:
    """Send `sent`, 8 at a time; cut the proxy once `successes` of them are confirmed."""
    confirmed = 0
    enough = asyncio.Event()
    gate = asyncio.Semaphore(8)

    async def one(adjustment: Adjustment) -> Answer:
        nonlocal confirmed
        async with gate:
            [answer] = await client.adjust([adjustment], 1)
        if answer.succeeded:
            confirmed += 1
            if confirmed >= successes:
                enough.set()
        return answer

    tasks = [asyncio.create_task(one(a)) for a in sent]
    try:
        await asyncio.wait_for(enough.wait(), ANSWER_BOUND_SECONDS)
        await proxy.cut()
        results = await asyncio.wait_for(asyncio.gather(*tasks), ANSWER_BOUND_SECONDS * 3)
    finally:
        for task in tasks:
            task.cancel()
    return {a.key: answer for a, answer in zip(sent, results, strict=True)}


async def _wait_ready(http: httpx.AsyncClient) -> None:
    deadline = time.monotonic() + RECOVERY_SECONDS
    while (response := await http.get("/health/ready")).status_code != 200:
        assert time.monotonic() < deadline, f"not ready {RECOVERY_SECONDS} s after: {response.text}"
        await asyncio.sleep(0.1)


@dataclass(frozen=True)
class HeldMutation:
    """A mutation caught by a cut while it waited for the customer's row lock."""

    answer: Answer  # what the client got
    seconds: float  # from the cut to that answer
    applied_after_cut: dict[str, Applied]
    retries: list[Answer]  # two at once, with the same key, once the database is back
    applied_at_end: dict[str, Applied]


async def _cut_under_a_held_mutation(databases: Databases, label: str) -> HeldMutation:
    """Hold a customer's row lock from outside the app, send a credit adjustment for that
    customer (it waits for the lock in its open transaction), cut the proxy; then restore
    it and retry the adjustment with its key."""
    world = await fault_world(databases, label, customers=5)
    customer = world.active_customer_ids[0]
    [held] = adjustments(label, 1, [customer])
    direct = create_engine(settings_for(world.url), pooled=False)
    plain = asyncpg_dsn(world.url)
    locker, watcher = await asyncpg.connect(plain), await asyncpg.connect(plain)
    try:
        before = await versions(direct, [customer])
        async with (
            proxied(*_upstream()) as proxy,
            _app(world, proxy) as app,
            httpx.AsyncClient(base_url=app.base_url, timeout=30) as http,
        ):
            async with locker.transaction():
                await locker.execute("SELECT 1 FROM customers WHERE id = $1 FOR UPDATE", customer)
                pending = asyncio.create_task(send(http, world.token, held, 1))
                await _until_a_backend_waits_for_a_lock(watcher)
                await proxy.cut()
                started = time.monotonic()
                answer = await asyncio.wait_for(pending, ANSWER_BOUND_SECONDS)
                seconds = time.monotonic() - started
            applied_after_cut = await audit(direct, [held], before)
            await proxy.restore()
            await _wait_ready(http)
            retries = await asyncio.gather(*(send(http, world.token, held, 2) for _ in "ab"))
        applied_at_end = await audit(direct, [held], before)
    finally:
        await locker.close()
        await watcher.close()
        await direct.dispose()
    return HeldMutation(answer, seconds, applied_after_cut, list(retries), applied_at_end)


async def _until_a_backend_waits_for_a_lock(watcher: asyncpg.Connection) -> None:
    # Outside a transaction, so that every look reads pg_stat_activity afresh.
    deadline = time.monotonic() + ANSWER_BOUND_SECONDS
    while not await watcher.fetchval(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
    ):
        assert time.monotonic() < deadline, "the mutation never waited for the row lock"
        await asyncio.sleep(0.02)


async def test_a_mutation_caught_in_its_transaction_by_a_cut_is_not_applied_and_retries_once(
    databases: Databases,
) -> None:
    held = await _cut_under_a_held_mutation(databases, "heldcut")
    assert not held.answer.succeeded, held.answer
    assert held.answer.status is not None and held.answer.status >= 500, held.answer
    assert held.seconds < ANSWER_BOUND_SECONDS
    assert held.applied_after_cut == {}
    first, second = held.retries
    assert first.succeeded and second.succeeded, held.retries
    assert first.entry_id == second.entry_id
    [applied] = held.applied_at_end.values()
    assert applied.entry_id == first.entry_id


async def test_a_mutation_in_flight_when_the_connection_drops_is_answered_503(
    databases: Databases,
) -> None:
    held = await _cut_under_a_held_mutation(databases, "held503")
    _assert_unavailable_answer(held.answer)


async def test_a_read_whose_database_goes_silent_is_answered_in_bounded_time(
    databases: Databases,
) -> None:
    world = await fault_world(databases, "silent", customers=5)
    plain = asyncpg_dsn(world.url)
    locker, watcher = await asyncpg.connect(plain), await asyncpg.connect(plain)
    try:
        async with (
            proxied(*_upstream()) as proxy,
            _app(world, proxy) as app,
            httpx.AsyncClient(base_url=app.base_url, timeout=30) as http,
        ):
            client = Timed(http, world.token)
            assert (await client.read()).status_code == 200
            # The read's statement is sent and waits on a lock when the network freezes.
            async with locker.transaction():
                await locker.execute("LOCK TABLE customers IN ACCESS EXCLUSIVE MODE")
                pending = asyncio.create_task(client.read())
                await _until_a_backend_waits_for_a_lock(watcher)
                proxy.freeze()
            try:
                response = await asyncio.wait_for(pending, ANSWER_BOUND_SECONDS)
            except TimeoutError:
                response = None
            finally:
                await proxy.cut()  # lets the stuck request, and the app, finish
                await proxy.restore()
    finally:
        await locker.close()
        await watcher.close()
    assert response is not None, f"no answer within {ANSWER_BOUND_SECONDS} s"
    _assert_unavailable(response)
