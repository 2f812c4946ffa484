"""A real SMTP server on a loopback port that keeps what it receives."""

from __future__ import annotations

import asyncio
import re
import socket
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

_TOKEN = re.compile(r"[?&]token=([A-Za-z0-9_\-]+)")


@dataclass(frozen=True)
class Received:
    recipients: list[str]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def text(self) -> str:
        body = self.message.get_body(("plain",))
        return body.get_content() if body is not None else ""  # type: ignore[no-any-return]


class _Handler:
    def __init__(self, inbox: Inbox) -> None:
        self.inbox = inbox

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        self.inbox.received.append(Received(list(envelope.rcpt_tos), message))  # type: ignore[arg-type]
        return "250 OK"


class Inbox:
    def __init__(self) -> None:
        self.received: list[Received] = []
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = int(s.getsockname()[1])
        self.controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}?starttls=false&from=shop%40custgraph.example.com"

    def start(self) -> None:
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()

    async def wait_for(
        self, recipient: str, subject_part: str, wait_seconds: float = 15
    ) -> Received:
        """The newest email to `recipient` whose subject has `subject_part`, once it arrives."""
        deadline = asyncio.get_running_loop().time() + wait_seconds
        while True:
            for mail in reversed(self.received):
                if recipient in mail.recipients and subject_part.lower() in mail.subject.lower():
                    return mail
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"no email about {subject_part!r} reached {recipient}")
            await asyncio.sleep(0.05)

    async def link_token(self, recipient: str, subject_part: str) -> str:
        mail = await self.wait_for(recipient, subject_part)
        match = _TOKEN.search(mail.text)
        assert match, mail.text
        return match.group(1)


_active: Inbox | None = None


def activate(inbox: Inbox | None) -> None:
    global _active
    _active = inbox


def active_inbox() -> Inbox:
    assert _active is not None, "the SMTP inbox fixture is not running"
    return _active
