"""What the relay asks of a broker: connect, publish one message and wait for its ack, close.

The brokers themselves are in events/jetstream.py and events/rabbitmq.py, chosen by
events/brokers.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


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
