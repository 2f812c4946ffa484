"""The relay: publishes the change feed to the broker, in order, at least once.

Every server process runs one when `CUSTGRAPH_EVENTS_URL` is set. A pass takes the next
batch of changes after the sink's position, publishes them one by one, each waiting for
the broker's acknowledgement before the next is sent, and then moves the position past
the last one acknowledged. One at a time because a message sent before the one ahead of
it was stored could reach the broker first if that one failed.

Only one relay publishes at a time:

- PostgreSQL: once a look without locks finds something new, the pass's transaction
  locks the position row (`FOR UPDATE SKIP LOCKED`) and holds it while publishing;
  other processes find it locked and skip their pass. No mutation takes that lock, so
  none waits for the broker.
- SQLite: holding its one write lock while publishing would make every mutation wait for
  the broker, so the pass reads without it, publishes, and then moves the position in a
  short write transaction, only forward. Two processes on one SQLite file may publish a
  batch both; the copies carry the same message id.

A crash between the broker's ack and the commit publishes those changes again (the
message id is the sequence: JetStream drops the copy within its duplicate window, and a
consumer that skips sequences it has handled drops it anyway). A broker that is down
or refuses is retried with backoff from the same place; mutations never wait for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from custgraph.db.models import CustomerChange
from custgraph.domain.transaction import in_transaction
from custgraph.events.brokers import publisher_for
from custgraph.events.config import parse_events_url
from custgraph.events.payload import change_body
from custgraph.events.position import (
    advance_position,
    changes_after,
    lock_position,
    read_position,
)
from custgraph.events.publisher import BrokerError, BrokerMessage, Publisher
from custgraph.settings import Settings

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Backoff:
    """Waits after failed passes: `first` seconds, doubling up to `longest`."""

    first: float = 1.0
    longest: float = 60.0

    def delay(self, failures: int) -> float:
        return min(self.longest, self.first * 2.0 ** min(failures - 1, 30))


@dataclass
class EventRelay:
    """Publishes the feed through `publisher`, keeping its place in row `sink`."""

    publisher: Publisher
    sink: str  # the `change_sink_positions` row
    interval: float = 1.0
    batch_size: int = 200
    backoff: Backoff = Backoff()

    async def run(
        self,
        writes: async_sessionmaker[AsyncSession],
        reads: AsyncEngine,
        stop: asyncio.Event,
    ) -> None:
        """Publish until `stop` is set: a full batch goes on at once, a short one waits
        `interval`, a failure waits the backoff. Returns after the message in flight and
        the disconnect (each at most the URL's `timeout`); cancelling is safe too (what
        was not recorded is published again)."""
        logger.info("change feed relay started: to %s, position %r", self.publisher, self.sink)
        failures = 0
        connected = False
        try:
            while not stop.is_set():
                try:
                    if not connected:
                        await self.publisher.connect()
                        connected = True
                        if failures:
                            logger.info("change feed relay: %s reachable again", self.publisher)
                    published = await self.publish_batch(writes, reads, stop)
                    failures = 0
                except Exception as error:
                    failures += 1
                    connected = False
                    await self.publisher.close()
                    delay = self.backoff.delay(failures)
                    if isinstance(error, BrokerError):
                        logger.warning("change feed relay: %s; again in %g s", error, delay)
                    else:
                        logger.exception("change feed relay pass failed; again in %g s", delay)
                    await _wait(stop, delay)
                    continue
                if published < self.batch_size:
                    await _wait(stop, self.interval)
        finally:
            await self.publisher.close()
        logger.info("change feed relay stopped")

    async def publish_batch(
        self,
        writes: async_sessionmaker[AsyncSession],
        reads: AsyncEngine,
        stop: asyncio.Event | None = None,
    ) -> int:
        """One pass: publish the next batch and record how far the broker acknowledged
        it. Returns how many were published (0 while another process publishes);
        raises BrokerError, after recording the acknowledged part, if the broker fails."""
        postgres = reads.dialect.name == "postgresql"
        async with AsyncSession(reads) as session:
            start = await read_position(session, self.sink)
            # PostgreSQL: only a look whether there is anything new before taking the lock
            # (which writes the row), so that idle relays write nothing.
            changes = await changes_after(session, start, 1 if postgres else self.batch_size)
        if not changes:
            return 0
        if postgres:
            return await self._publish_locked(writes, stop)
        return await self._publish_then_record(writes, start, changes, stop)

    async def _publish_locked(
        self, writes: async_sessionmaker[AsyncSession], stop: asyncio.Event | None
    ) -> int:
        async with writes.begin() as session:
            start = await lock_position(session, self.sink)
            if start is None:
                return 0  # another process is publishing
            changes = await changes_after(session, start, self.batch_size)
            end, error = await self._publish(changes, stop)
            if end > start:
                await advance_position(session, self.sink, start, end)
        if error is not None:
            raise error
        return _count(changes, end)

    async def _publish_then_record(
        self,
        writes: async_sessionmaker[AsyncSession],
        start: int,
        changes: Sequence[CustomerChange],
        stop: asyncio.Event | None,
    ) -> int:
        end, error = await self._publish(changes, stop)
        if end > start:

            async def record(session: AsyncSession) -> bool:
                return await advance_position(session, self.sink, start, end)

            await in_transaction(writes, record)
        if error is not None:
            raise error
        return _count(changes, end)

    async def _publish(
        self, changes: Sequence[CustomerChange], stop: asyncio.Event | None
    ) -> tuple[int, BrokerError | None]:
        """Publish in order until done, stopped or refused: (the last sequence the broker
        acknowledged, or 0, and the error that ended it early, if any)."""
        last = 0
        for change in changes:
            if stop is not None and stop.is_set():
                break
            try:
                await self.publisher.publish(
                    BrokerMessage(change.sequence, change.type, change_body(change))
                )
            except BrokerError as error:
                return last, error
            last = change.sequence
        return last, None


def event_relay_for(settings: Settings) -> EventRelay | None:
    """The relay `CUSTGRAPH_EVENTS_URL` asks for, or None without one.

    A malformed URL raises ValueError, and a broker whose client library is missing
    RuntimeError, before anything is served.
    """
    if not settings.events_url:
        return None
    config = parse_events_url(settings.events_url)
    return EventRelay(
        publisher=publisher_for(config),
        sink=config.sink_name,
        interval=settings.events_interval_seconds,
        batch_size=settings.events_batch_size,
    )


def _count(changes: Sequence[CustomerChange], end: int) -> int:
    return sum(1 for change in changes if change.sequence <= end)


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
