"""Email over SMTP with aiosmtplib: one connection per message, bounded by timeouts."""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import aiosmtplib

from custgraph.mail.message import OutgoingMessage
from custgraph.mail.sender import DeliveryFailed
from custgraph.mail.smtp_url import SmtpConfig

MAX_ERROR_LENGTH = 300


class SmtpSender:
    """Sends email through the server `config` describes.

    A connection per message keeps the worker simple and stateless; at back-office
    volumes (resets, notices) the extra handshake does not matter.
    """

    def __init__(self, config: SmtpConfig) -> None:
        self.config = config

    async def send(self, message: OutgoingMessage) -> None:
        """Send `message` as a plain-text email; raise `DeliveryFailed` when the server won't."""
        config = self.config
        try:
            email = build_email(message, config.from_address)
        except (ValueError, TypeError) as error:
            # A header with a line break or an unusable address: no retry will fix it.
            raise DeliveryFailed(f"malformed message: {error}", permanent=True) from None
        try:
            await aiosmtplib.send(
                email,
                sender=config.envelope_from,
                recipients=[message.recipient],
                hostname=config.host,
                port=config.port,
                username=config.username,
                password=config.password,
                use_tls=config.implicit_tls,
                start_tls=config.starttls,
                timeout=config.timeout,
            )
        except (aiosmtplib.SMTPException, OSError) as error:
            # `from None`: the chained exception is not needed and must not carry
            # anything secret into a traceback.
            raise DeliveryFailed(self._describe(error)) from None

    def _describe(self, error: Exception) -> str:
        if isinstance(error, aiosmtplib.SMTPResponseException):
            text = f"SMTP {error.code} {error.message} ({self.config.host}:{self.config.port})"
        else:
            # Connection errors already name the host and port.
            text = f"{type(error).__name__}: {error}"
        if self.config.password:
            # Servers may echo what they were sent; never store or log the password.
            text = text.replace(self.config.password, "***")
        return text[:MAX_ERROR_LENGTH]

    def __str__(self) -> str:
        config = self.config
        scheme = "smtps" if config.implicit_tls else "smtp"
        user = f"{config.username or ''}:***@" if config.password else ""
        if config.username and not config.password:
            user = f"{config.username}@"
        tls = {True: " with STARTTLS", False: "", None: " (STARTTLS if offered)"}
        shown_tls = "" if config.implicit_tls else tls[config.starttls]
        return f"{scheme}://{user}{config.host}:{config.port}{shown_tls} from {config.from_address}"


def build_email(
    message: OutgoingMessage, from_address: str, *, now: datetime | None = None
) -> EmailMessage:
    """A plain-text email with Subject, From, To, Date and a Message-ID naming the outbox row."""
    domain = from_address.rpartition("@")[2].rstrip(">").strip() or "localhost"
    email = EmailMessage()
    email["Subject"] = message.subject
    email["From"] = from_address
    email["To"] = message.recipient
    email["Date"] = format_datetime(now or datetime.now(UTC))
    # Unique per attempt (time, pid, random) yet traceable to the row; the explicit
    # domain avoids make_msgid's DNS lookup of the host name.
    email["Message-ID"] = make_msgid(idstring=f"outbox.{message.outbox_id}", domain=domain)
    email.set_content(message.body)
    return email
