"""Which sender serves each channel, as the settings configure it."""

from __future__ import annotations

from dataclasses import replace

from custgraph.mail.log_sender import LogSender
from custgraph.mail.sender import Sender
from custgraph.mail.smtp_sender import SmtpSender
from custgraph.mail.smtp_url import parse_smtp_url
from custgraph.settings import Settings


def senders_for(settings: Settings) -> dict[str, Sender]:
    """EMAIL over SMTP when `CUSTGRAPH_SMTP_URL` is set, else to the log with its body;
    SMS and PUSH to the log until providers exist.

    Raises ValueError (without the password) when the SMTP URL is malformed: call it at
    startup to refuse a bad configuration at once.
    """
    email: Sender
    if settings.smtp_url:
        config = parse_smtp_url(settings.smtp_url)
        if settings.mail_from:
            config = replace(config, from_address=settings.mail_from)
        email = SmtpSender(config)
    else:
        email = LogSender("CUSTGRAPH_SMTP_URL is not set", include_body=True)
    return {
        "EMAIL": email,
        "SMS": LogSender("no SMS provider is configured"),
        "PUSH": LogSender("no push provider is configured"),
    }
