"""Publishing to NATS JetStream (nats-py), one message at a time, each acknowledged.

`Nats-Msg-Id` carries the sequence: JetStream drops a message whose id it has stored
within the stream's duplicate window (2 minutes by default), which covers a relay that
crashed between publishing and recording its position. The publish names the expected
stream, so a subject that some other stream captures is an error, not a silent detour.

The client does not reconnect on its own (`allow_reconnect=False`): a lost connection
fails the publish in flight, and the relay reconnects after its backoff, from its place.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math

import nats
import nats.errors
import nats.js.errors
from nats.aio.client import Client
from nats.js import JetStreamContext

from custgraph.events.config import JetStreamConfig
from custgraph.events.publisher import BrokerError, BrokerMessage

logger = logging.getLogger(__name__)

_FAILURES = (nats.errors.Error, OSError, asyncio.TimeoutError)


class JetStreamPublisher:
    def __init__(self, config: JetStreamConfig) -> None:
        self.config = config
        self._client: Client | None = None
        self._stream: JetStreamContext | None = None
        self._last_error: Exception | None = None

    def __str__(self) -> str:
        return f"NATS JetStream {self.config.shown} stream {self.config.stream}"

    async def _note_error(self, error: Exception) -> None:
        # nats-py would log each error itself; the relay reports the failure instead, with
        # its backoff, and with this error rather than a bare NoServersError.
        logger.debug("NATS: %r", error)
        self._last_error = error

    async def connect(self) -> None:
        config = self.config
        self._last_error = None
        try:
            self._client = await nats.connect(
                servers=[config.server],
                name="custgraph-events",
                allow_reconnect=False,
                # Without a limit nats-py tries the first connect again and again itself
                # (60 times, 2 s apart); one attempt here, and the relay's backoff after.
                max_reconnect_attempts=1,
                reconnect_time_wait=0,
                connect_timeout=math.ceil(config.timeout),
                error_cb=self._note_error,
            )
            self._stream = self._client.jetstream(timeout=config.timeout)
            await self._declare_stream(self._stream)
        except _FAILURES as error:
            await self.close()
            cause = self._last_error if isinstance(error, nats.errors.NoServersError) else None
            raise BrokerError(f"{self}: {cause or error!r}") from error

    async def _declare_stream(self, stream: JetStreamContext) -> None:
        try:
            await stream.stream_info(self.config.stream)
        except nats.js.errors.NotFoundError:
            await stream.add_stream(
                name=self.config.stream, subjects=[f"{self.config.subject_prefix}.>"]
            )
            logger.info("created JetStream stream %s", self.config.stream)

    async def publish(self, message: BrokerMessage) -> None:
        if self._stream is None:
            raise BrokerError(f"{self}: not connected")
        try:
            await self._stream.publish(
                self.config.subject(message.type),
                message.body,
                timeout=self.config.timeout,
                stream=self.config.stream,
                headers={"Nats-Msg-Id": message.message_id},
            )
        except _FAILURES as error:
            raise BrokerError(f"{self}: {error!r}") from error

    async def close(self) -> None:
        client, self._client, self._stream = self._client, None, None
        if client is not None:
            # A broker gone silent must not hold the relay (or the shutdown) here.
            with contextlib.suppress(Exception):
                await asyncio.wait_for(client.close(), self.config.timeout)
