"""A sender that writes messages to the log: for channels with no provider configured."""

from __future__ import annotations

import logging

from custgraph.mail.message import OutgoingMessage

logger = logging.getLogger(__name__)


class LogSender:
    """Logs each message at INFO and reports it delivered.

    The recipient is always masked. The body is logged only when `include_body` is set:
    email without SMTP uses it so that a demo still shows the password reset link.
    """

    def __init__(self, reason: str, *, include_body: bool = False) -> None:
        self.reason = reason
        self.include_body = include_body

    async def send(self, message: OutgoingMessage) -> None:
        """Write the message to the log instead of sending it."""
        head = "%s %s to %s (outbox %d) written to the log: %s"
        args: tuple[object, ...] = (
            message.channel,
            message.kind or "message",
            mask_recipient(message.recipient),
            message.outbox_id,
            self.reason,
        )
        if self.include_body:
            logger.info(head + "\nSubject: %s\n\n%s", *args, message.subject, message.body)
        else:
            logger.info(head, *args)

    def __str__(self) -> str:
        return f"the log ({self.reason})"


def mask_recipient(recipient: str) -> str:
    """Enough of an address or number to tell messages apart in a log, not to contact anyone.

    `ada@example.com` -> `a***@example.com`, `+4915112345678` -> `***678`.
    """
    local, at, domain = recipient.rpartition("@")
    if at:
        return f"{local[:1]}***@{domain}"
    if len(recipient) <= 6:
        return "***"
    return f"***{recipient[-3:]}"
