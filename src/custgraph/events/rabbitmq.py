"""Publishing to RabbitMQ (aio-pika), one message at a time, each confirmed by the broker.

A durable topic exchange, persistent messages, and publisher confirms: `publish` returns
once RabbitMQ has taken the message (written to disk for durable queues), and fails on
a nack or a lost connection. The change type is the routing key, so a consumer binds
its durable queue to `customer.*`, `points.adjusted` or `#`. The sequence is the
`message_id` property. A message no queue is bound for is dropped by RabbitMQ, as a
topic exchange does: bind the queues before relying on them.

A plain (not "robust") connection: a lost one fails the publish in flight and the relay
reconnects after its backoff, from its place.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import aio_pika
from aio_pika.abc import AbstractConnection, AbstractExchange
from aio_pika.exceptions import CONNECTION_EXCEPTIONS

from custgraph.events.config import RabbitMQConfig
from custgraph.events.publisher import BrokerError, BrokerMessage

logger = logging.getLogger(__name__)

_FAILURES = (*CONNECTION_EXCEPTIONS, asyncio.TimeoutError)


class RabbitMQPublisher:
    def __init__(self, config: RabbitMQConfig) -> None:
        self.config = config
        self._connection: AbstractConnection | None = None
        self._exchange: AbstractExchange | None = None

    def __str__(self) -> str:
        return f"RabbitMQ {self.config.shown} exchange {self.config.exchange}"

    async def connect(self) -> None:
        config = self.config
        try:
            self._connection = await aio_pika.connect(
                config.url,
                timeout=config.timeout,
                client_properties={"connection_name": "custgraph-events"},
            )
            channel = await self._connection.channel(publisher_confirms=True)
            self._exchange = await channel.declare_exchange(
                config.exchange, aio_pika.ExchangeType.TOPIC, durable=True, timeout=config.timeout
            )
        except _FAILURES as error:
            await self.close()
            raise BrokerError(f"{self}: {error!r}") from error

    async def publish(self, message: BrokerMessage) -> None:
        if self._exchange is None:
            raise BrokerError(f"{self}: not connected")
        outgoing = aio_pika.Message(
            message.body,
            message_id=message.message_id,
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            content_type="application/json",
            type=message.type,
            app_id="custgraph",
        )
        try:
            await self._exchange.publish(
                outgoing, routing_key=message.type, mandatory=False, timeout=self.config.timeout
            )
        except _FAILURES as error:
            raise BrokerError(f"{self}: {error!r}") from error

    async def close(self) -> None:
        connection, self._connection, self._exchange = self._connection, None, None
        if connection is not None:
            # A broker gone silent must not hold the relay (or the shutdown) here.
            with contextlib.suppress(Exception):
                await asyncio.wait_for(connection.close(), self.config.timeout)
