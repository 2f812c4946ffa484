"""The change feed published to real brokers: NATS JetStream and RabbitMQ on this machine.

Each test runs once per broker, skipped when that broker does not answer (where they
are is set by CUSTGRAPH_TEST_NATS and CUSTGRAPH_TEST_AMQP). Every test publishes to a
stream or exchange of its own, and reads what arrived with the broker's own client: a
consumer on the stream, or a queue bound to the exchange before anything is published.
Each relay starts at a position of its own, so it publishes the whole feed of the
module's database, changes of earlier tests included.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import aio_pika
import httpx
import nats
import nats.errors
import pytest
import pytest_asyncio
from nats.aio.client import Client as NatsClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from custgraph.auth.tokens import issue_token
from custgraph.db.engine import create_engine, create_session_factory
from custgraph.db.models import ChangeSinkPosition, CustomerChange
from custgraph.domain.actors import SYSTEM
from custgraph.domain.caller import Caller
from custgraph.domain.customer_record import NewCustomer, create_customer
from custgraph.domain.lifecycle import set_status
from custgraph.domain.staff_accounts import create_staff_user
from custgraph.events import (
    Backoff,
    BrokerMessage,
    EventRelay,
    Publisher,
    change_payload,
    parse_events_url,
    publisher_for,
)
from custgraph.settings import Settings
from tests.conftest import STAFF_PASSWORD, TEST_SECRET, settings_for
from tests.support.client import GraphQLClient
from tests.support.databases import Databases
from tests.support.server import served
from tests.support.tcp_proxy import proxied
from tests.support.truth import fetch

# The changes are made as the system would make them, not by a signed-in caller.
SYSTEM_CALLER = Caller(SYSTEM, "system")

NATS_URL = os.environ.get("CUSTGRAPH_TEST_NATS") or "nats://127.0.0.1:4222"
AMQP_URL = os.environ.get("CUSTGRAPH_TEST_AMQP") or "amqp://guest:guest@127.0.0.1:5672/"
CATCH_UP_SECONDS = 30


# --- the database and the changes in it ------------------------------------------------


@dataclass
class Feed:
    """The module's database: written through the domain functions, read directly."""

    url: str
    settings: Settings
    writes: async_sessionmaker[AsyncSession]
    reads: AsyncEngine
    made: int = 0

    async def make_changes(self, customers: int) -> None:
        """Three changes per customer: created, activated, blocked."""
        for _ in range(customers):
            self.made += 1
            new = NewCustomer(
                email=f"feed{self.made}-{uuid.uuid4().hex[:6]}@shop.example.com",
                values={"first_name": "Broker", "last_name": f"Sink{self.made}"},
                tags=[],
                send_set_password_email=False,
                send_verification_email=False,
            )
            customer = await create_customer(self.writes, self.settings, SYSTEM_CALLER, new)
            await set_status(self.writes, SYSTEM_CALLER, customer.id, "ACTIVE")
            await set_status(self.writes, SYSTEM_CALLER, customer.id, "BLOCKED")

    async def changes(self) -> list[CustomerChange]:
        async with AsyncSession(self.reads) as session:
            statement = select(CustomerChange).order_by(CustomerChange.sequence)
            return list((await session.scalars(statement)).all())

    async def head(self) -> int:
        (row,) = await fetch(
            self.reads, select(func.coalesce(func.max(CustomerChange.sequence), 0))
        )
        return int(row[0])

    async def position(self, sink: str) -> int:
        rows = await fetch(
            self.reads,
            select(ChangeSinkPosition.last_sequence).where(ChangeSinkPosition.name == sink),
        )
        return int(rows[0][0]) if rows else 0

    async def caught_up(self, sink: str, within: float = CATCH_UP_SECONDS) -> None:
        """Wait until the sink's position reaches the newest change."""
        head = await self.head()
        deadline = time.monotonic() + within
        while (position := await self.position(sink)) < head:
            assert time.monotonic() < deadline, f"{sink} at {position} of {head}"
            await asyncio.sleep(0.02)


@pytest_asyncio.fixture(scope="module")
async def feed(databases: Databases) -> AsyncIterator[Feed]:
    url = await databases.create("events")
    settings = settings_for(url, delivery_worker=False)
    write_engine = create_engine(settings, for_writes=True)
    read_engine = create_engine(settings)
    try:
        feed = Feed(url, settings, create_session_factory(write_engine), read_engine)
        await feed.make_changes(4)  # a feed that does not start empty
        yield feed
    finally:
        await write_engine.dispose()
        await read_engine.dispose()


# --- the brokers, as a consumer sees them -----------------------------------------------


@dataclass
class Received:
    message_id: str
    topic: str  # JetStream subject, or RabbitMQ routing key
    body: dict[str, Any]
    properties: dict[str, Any] = field(default_factory=dict)


class Destination:
    """A stream or exchange of one test's own, what arrived there, and its removal."""

    kind: str
    sink: str  # the relay's position row for it

    def url(self, port: int | None = None, **options: str) -> str:
        raise NotImplementedError

    @property
    def address(self) -> tuple[str, int]:
        raise NotImplementedError

    def topic_of(self, change_type: str) -> str:
        raise NotImplementedError

    async def received(self) -> list[Received]:
        raise NotImplementedError

    async def remove(self) -> None:
        raise NotImplementedError


def _reachable(url: str, default_port: int) -> tuple[str, int, str | None]:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or default_port
    try:
        with socket.create_connection((host, port), timeout=1):
            return host, port, None
    except OSError as error:
        return host, port, f"{error.strerror or error}"


class JetStreamDestination(Destination):
    kind = "nats"

    def __init__(self, client: NatsClient, host: str, port: int) -> None:
        tag = uuid.uuid4().hex[:10]
        self.client = client
        self.host, self.port = host, port
        self.stream = f"CGTEST_{tag}"
        self.prefix = f"cgtest.{tag}"
        self.sink = f"nats:{self.stream}"

    @property
    def address(self) -> tuple[str, int]:
        return self.host, self.port

    def url(self, port: int | None = None, **options: str) -> str:
        query = "&".join(f"{k}={v}" for k, v in {"timeout": "2", **options}.items())
        return (
            f"nats://{self.host}:{port or self.port}?stream={self.stream}"
            f"&subject={self.prefix}&{query}"
        )

    def topic_of(self, change_type: str) -> str:
        return f"{self.prefix}.{change_type}"

    async def received(self) -> list[Received]:
        js = self.client.jetstream()
        count = (await js.stream_info(self.stream)).state.messages
        consumer = await js.pull_subscribe(f"{self.prefix}.>", stream=self.stream)
        messages: list[Received] = []
        try:
            while len(messages) < count:
                for message in await consumer.fetch(min(count - len(messages), 256), timeout=5):
                    headers = message.headers or {}
                    messages.append(
                        Received(
                            headers["Nats-Msg-Id"],
                            message.subject,
                            json.loads(message.data),
                            {"stream_sequence": message.metadata.sequence.stream},
                        )
                    )
                    await message.ack()
        finally:
            await consumer.unsubscribe()
        return messages

    async def remove(self) -> None:
        with contextlib.suppress(Exception):
            await self.client.jetstream().delete_stream(self.stream)


class RabbitMQDestination(Destination):
    kind = "rabbitmq"

    def __init__(self, connection: aio_pika.abc.AbstractConnection, host: str, port: int) -> None:
        tag = uuid.uuid4().hex[:10]
        self.connection = connection
        self.host, self.port = host, port
        self.exchange = f"cgtest-{tag}"
        self.queue_name = f"cgtest-{tag}-all"
        self.sink = f"amqp:{self.exchange}"

    @property
    def address(self) -> tuple[str, int]:
        return self.host, self.port

    def url(self, port: int | None = None, **options: str) -> str:
        parts = urlsplit(AMQP_URL)
        credentials = parts.netloc.rpartition("@")[0]
        query = "&".join(f"{k}={v}" for k, v in {"timeout": "2", **options}.items())
        return (
            f"amqp://{credentials}@{self.host}:{port or self.port}{parts.path or '/'}"
            f"?exchange={self.exchange}&{query}"
        )

    def topic_of(self, change_type: str) -> str:
        return change_type

    async def bind(self) -> None:
        """The durable queue a consumer binds before relying on the exchange (`#`: all)."""
        self.channel = await self.connection.channel()
        exchange = await self.channel.declare_exchange(
            self.exchange, aio_pika.ExchangeType.TOPIC, durable=True
        )
        self.queue = await self.channel.declare_queue(self.queue_name, durable=True)
        await self.queue.bind(exchange, routing_key="#")

    async def received(self) -> list[Received]:
        messages: list[Received] = []
        while (message := await self.queue.get(no_ack=True, fail=False)) is not None:
            messages.append(
                Received(
                    str(message.message_id),
                    str(message.routing_key),
                    json.loads(message.body),
                    {
                        "delivery_mode": message.delivery_mode,
                        "content_type": message.content_type,
                        "type": message.type,
                    },
                )
            )
        return messages

    async def remove(self) -> None:
        with contextlib.suppress(Exception):
            await self.channel.queue_delete(self.queue_name)
            await self.channel.exchange_delete(self.exchange)
            await self.channel.close()


@pytest_asyncio.fixture(scope="module")
async def nats_client() -> AsyncIterator[NatsClient | str]:
    """A consumer's connection, or why there is none."""
    host, port, why = _reachable(NATS_URL, 4222)
    if why is not None:
        yield f"NATS is not reachable at {host}:{port} ({why})"
        return
    client = await nats.connect(NATS_URL, allow_reconnect=False, max_reconnect_attempts=1)
    try:
        await client.jetstream().account_info()
    except nats.errors.Error as error:
        await client.close()
        yield f"NATS at {host}:{port} has no JetStream ({error!r})"
        return
    yield client
    await client.close()


@pytest_asyncio.fixture(scope="module")
async def amqp_connection() -> AsyncIterator[aio_pika.abc.AbstractConnection | str]:
    host, port, why = _reachable(AMQP_URL, 5672)
    if why is not None:
        yield f"RabbitMQ is not reachable at {host}:{port} ({why})"
        return
    connection = await aio_pika.connect(AMQP_URL)
    yield connection
    await connection.close()


@pytest_asyncio.fixture(params=["nats", "rabbitmq"])
async def destination(
    request: pytest.FixtureRequest,
    nats_client: NatsClient | str,
    amqp_connection: aio_pika.abc.AbstractConnection | str,
) -> AsyncIterator[Destination]:
    made: Destination
    if request.param == "nats":
        if isinstance(nats_client, str):
            pytest.skip(nats_client)
        host, port, _ = _reachable(NATS_URL, 4222)
        made = JetStreamDestination(nats_client, host, port)
    else:
        if isinstance(amqp_connection, str):
            pytest.skip(amqp_connection)
        host, port, _ = _reachable(AMQP_URL, 5672)
        rabbit = RabbitMQDestination(amqp_connection, host, port)
        await rabbit.bind()
        made = rabbit
    try:
        yield made
    finally:
        await made.remove()


# --- relays ----------------------------------------------------------------------------


def relay_to(url: str, *, batch_size: int = 200, publisher: Publisher | None = None) -> EventRelay:
    config = parse_events_url(url)
    return EventRelay(
        publisher=publisher or publisher_for(config),
        sink=config.sink_name,
        interval=0.02,
        batch_size=batch_size,
        backoff=Backoff(first=0.05, longest=0.2),
    )


@contextlib.asynccontextmanager
async def running(feed: Feed, *relays: EventRelay) -> AsyncIterator[asyncio.Event]:
    """The relays running in the background until the block ends (and they stop)."""
    stop = asyncio.Event()
    tasks = [asyncio.create_task(r.run(feed.writes, feed.reads, stop)) for r in relays]
    try:
        yield stop
    finally:
        stop.set()
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=15)


class CrashesAfter:
    """A publisher whose process dies after `acks` acknowledged messages: what the
    broker stored is not recorded as published."""

    def __init__(self, publisher: Publisher, acks: int) -> None:
        self.publisher = publisher
        self.acks = acks
        self.crashed = asyncio.Event()

    async def connect(self) -> None:
        await self.publisher.connect()

    async def publish(self, message: BrokerMessage) -> None:
        if self.acks == 0:
            self.crashed.set()
            raise asyncio.CancelledError  # as the task of a process being killed
        await self.publisher.publish(message)
        self.acks -= 1

    async def close(self) -> None:
        await self.publisher.close()


# --- what must hold --------------------------------------------------------------------


async def assert_whole_feed_in_order(
    feed: Feed, destination: Destination, received: list[Received]
) -> list[int]:
    """Every change arrived, first arrivals in feed order, each with its sequence as
    message id and the body the feed's row makes; copies are whole copies. Returns the
    sequences as they arrived."""
    changes = {change.sequence: change for change in await feed.changes()}
    arrived = [int(message.message_id) for message in received]
    assert list(dict.fromkeys(arrived)) == sorted(changes), "lost, or out of order"
    for message in received:
        change = changes[int(message.message_id)]
        assert message.body == change_payload(change)
        assert message.body["sequence"] == change.sequence
        assert message.topic == destination.topic_of(change.type)
    return arrived


async def test_every_change_arrives_in_order_with_its_sequence_as_message_id(
    feed: Feed, destination: Destination
) -> None:
    await feed.make_changes(5)
    relay = relay_to(destination.url(), batch_size=6)
    async with running(feed, relay):
        await feed.caught_up(destination.sink)
    received = await destination.received()
    arrived = await assert_whole_feed_in_order(feed, destination, received)
    assert len(arrived) == len(set(arrived))  # one relay, no crash: each once

    body = received[-1].body
    assert set(body) == {
        "sequence",
        "type",
        "customerId",
        "customerVersion",
        "fields",
        "details",
        "occurredAt",
    }
    assert body["type"] == "customer.status_changed"
    assert body["details"] == {"status": {"old": "ACTIVE", "new": "BLOCKED"}}
    # No personal data: names and emails are not in any message.
    everything = json.dumps([m.body for m in received])
    assert "@shop.example.com" not in everything and "Sink" not in everything
    if isinstance(destination, RabbitMQDestination):
        assert received[0].properties == {
            "delivery_mode": aio_pika.DeliveryMode.PERSISTENT,
            "content_type": "application/json",
            "type": "customer.created",
        }


async def test_a_relay_killed_midway_and_two_relays_at_once_lose_nothing(
    feed: Feed, destination: Destination
) -> None:
    await feed.make_changes(6)
    # One relay dies after 10 acknowledged messages, none of which it recorded.
    dying = CrashesAfter(publisher_for(parse_events_url(destination.url())), acks=10)
    relay = relay_to(destination.url(), batch_size=4, publisher=dying)
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(feed.writes, feed.reads, stop))
    await asyncio.wait_for(dying.crashed.wait(), timeout=10)
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.wait_for(task, timeout=10)
    dead_at = await feed.position(destination.sink)
    assert 0 < dead_at < 10  # two batches recorded, the third published but not

    # Two relays (two processes) take over while customers are still being changed.
    first, second = relay_to(destination.url(), batch_size=3), relay_to(destination.url())
    async with running(feed, first, second):
        await feed.make_changes(4)
        await feed.caught_up(destination.sink)

    received = await destination.received()
    arrived = await assert_whole_feed_in_order(feed, destination, received)
    copies = len(arrived) - len(set(arrived))
    if isinstance(destination, JetStreamDestination):
        # Republished within the duplicate window: JetStream dropped the copies.
        assert copies == 0
    elif feed.reads.dialect.name == "postgresql":
        # RabbitMQ keeps them; the message id tells a consumer they are copies. The two
        # relays took turns on the locked position: no other copies.
        assert copies == 10 - dead_at
    else:
        # On SQLite both relays may have published a batch.
        assert copies >= 10 - dead_at


async def test_a_broker_down_at_start_is_caught_up_once_it_is_reachable(
    feed: Feed, destination: Destination
) -> None:
    async with proxied(*destination.address) as proxy:
        await proxy.cut()  # the broker's port refuses connections
        relay = relay_to(destination.url(port=proxy.port), batch_size=5)
        async with running(feed, relay):
            started = time.monotonic()
            await feed.make_changes(3)  # mutations go through meanwhile
            assert time.monotonic() - started < 5
            await asyncio.sleep(0.3)  # several tries, each refused
            assert await feed.position(destination.sink) == 0
            await proxy.restore()
            await feed.caught_up(destination.sink)
            # And down again midway: the relay goes on from where it was.
            await proxy.cut()
            await feed.make_changes(2)
            await asyncio.sleep(0.3)
            await proxy.restore()
            await feed.caught_up(destination.sink)
    received = await destination.received()
    await assert_whole_feed_in_order(feed, destination, received)


async def test_mutations_do_not_wait_for_a_silent_broker(
    feed: Feed, destination: Destination
) -> None:
    async with proxied(*destination.address) as proxy:
        # The relay waits two seconds for each ack, then for each connect.
        relay = relay_to(destination.url(port=proxy.port, timeout="2"))
        async with running(feed, relay):
            await feed.caught_up(destination.sink)
            proxy.freeze()  # no bytes either way, no reset: the acks never come
            slowest, frozen = 0.0, time.monotonic()
            while time.monotonic() - frozen < 2.5:
                started = time.monotonic()
                await feed.make_changes(1)
                slowest = max(slowest, time.monotonic() - started)
                await asyncio.sleep(0.05)
            assert slowest < 1
            assert await feed.position(destination.sink) < await feed.head()
            await proxy.restore()
            await feed.caught_up(destination.sink)
    received = await destination.received()
    await assert_whole_feed_in_order(feed, destination, received)


async def test_a_served_app_publishes_what_its_mutations_change(
    feed: Feed, destination: Destination
) -> None:
    user = await create_staff_user(
        feed.writes,
        email=f"events-{uuid.uuid4().hex[:6]}@staff.example.com",
        role="OWNER",
        password=STAFF_PASSWORD,
        first_name="Events",
        last_name="Tester",
    )
    token, _ = issue_token(TEST_SECRET, "staff", user.id, user.token_version, timedelta(hours=1))
    settings = settings_for(
        feed.url,
        delivery_worker=False,
        events_url=destination.url(),
        events_interval_seconds=0.05,
    )
    async with (
        served(settings) as app,
        httpx.AsyncClient(base_url=app.base_url, timeout=30) as http,
    ):
        gql = GraphQLClient(http, token)
        created = (
            await gql(
                """mutation { customerCreate(input: {firstName: "Served", lastName: "Sink",
                  sendVerificationEmail: false}) { customer { id } userErrors { code } } }"""
            )
        ).ok()["customerCreate"]["customer"]
        await feed.caught_up(destination.sink)
    # The app stopped its relay as it shut down; everything it had was published.
    received = await destination.received()
    await assert_whole_feed_in_order(feed, destination, received)
    last = received[-1].body
    assert (last["type"], last["customerId"], last["customerVersion"]) == (
        "customer.created",
        created["id"],
        1,
    )
