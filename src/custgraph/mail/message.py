"""What a sender is given: one outbox message, detached from the database."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OutgoingMessage:
    """One outbox row as a sender sees it; `kind` comes from the linked notification."""

    outbox_id: int
    channel: str
    kind: str | None
    recipient: str
    subject: str
    body: str
