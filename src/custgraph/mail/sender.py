"""The interface every channel's sender implements, so that providers can be swapped in."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from custgraph.mail.message import OutgoingMessage


class DeliveryFailed(Exception):
    """A sender could not deliver a message; its text is stored and logged, so no secrets.

    `permanent` means that retrying cannot help (the message itself is malformed); the
    message then fails at once instead of after every retry.
    """

    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.permanent = permanent


class Sender(Protocol):
    """Hands a message to one channel's provider (SMTP, an SMS gateway, a push service)."""

    async def send(self, message: OutgoingMessage) -> None:
        """Deliver `message` or raise; `DeliveryFailed` for expected failures."""
        ...


# Which sender serves each channel ("EMAIL", "SMS", "PUSH").
Senders = Mapping[str, Sender]
