"""What the relay asks of a broker: connect, publish one message and wait for its ack, close.

The brokers' client libraries are the optional extra `events` (`pip install
'custgraph[events]'`); they are imported only when `CUSTGRAPH_EVENTS_URL` names their
broker, and a missing one stops the start with a message that says what to install.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from custgraph.events.config import EventsConfig, JetStreamConfig


class BrokerError(Exception):
    """The broker could not be reached, or did not acknowledge a message: try later."""


@dataclass(frozen=True)
class BrokerMessage:
    """One change as the broker gets it: the sequence is its message id."""

    sequence: int
    type: str  # the change type: the routing key, or the last tokens of the subject
    body: bytes

    @property
    def message_id(self) -> str:
        return str(self.sequence)


class Publisher(Protocol):
    async def connect(self) -> None:
        """Connect, and declare the stream or exchange if it is missing."""

    async def publish(self, message: BrokerMessage) -> None:
        """Return once the broker has acknowledged `message` as stored; BrokerError if not."""

    async def close(self) -> None:
        """Disconnect; never raises."""


def publisher_for(config: EventsConfig) -> Publisher:
    """A publisher to the broker `config` names (not yet connected)."""
    try:
        if isinstance(config, JetStreamConfig):
            from custgraph.events.jetstream import JetStreamPublisher

            return JetStreamPublisher(config)
        from custgraph.events.rabbitmq import RabbitMQPublisher

        return RabbitMQPublisher(config)
    except ModuleNotFoundError as error:
        raise RuntimeError(
            f"CUSTGRAPH_EVENTS_URL needs the broker's client library ({error.name}): "
            "pip install 'custgraph[events]'"
        ) from error
