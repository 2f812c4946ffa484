"""A real HTTP endpoint for webhooks, on a loopback port in the test's event loop.

It records every request as it arrives (before answering, so that attempts that time
out are recorded too) and answers as scripted: a status, after an optional delay.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import uvicorn


@dataclass(frozen=True)
class Reply:
    """How to answer one request: `status` after `delay` seconds."""

    status: int = 200
    delay: float = 0.0
    body: bytes = b"ok"


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]  # names in lower case
    body: bytes
    at: float  # time.monotonic() on arrival

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def delivery(self) -> str:
        return self.headers["x-custgraph-delivery"]


@dataclass
class WebhookReceiver:
    """Answers `replies` in order, then `default`; keeps what it received in `received`."""

    url: str = ""
    received: list[Received] = field(default_factory=list)
    replies: deque[Reply] = field(default_factory=deque)
    default: Reply = field(default_factory=Reply)
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)

    def script(self, *replies: Reply | int) -> None:
        """Answer the next requests so (a number is a status without delay)."""
        self.replies.extend(r if isinstance(r, Reply) else Reply(r) for r in replies)

    async def wait_for(self, count: int, within: float = 15.0) -> list[Received]:
        """The first `count` requests, once they have arrived (at most `within` seconds)."""
        async with asyncio.timeout(within):
            while len(self.received) < count:
                self._arrived.clear()
                await self._arrived.wait()
        return self.received[:count]

    async def __call__(
        self,
        scope: dict[str, Any],
        receive: Callable[[], Awaitable[dict[str, Any]]],
        send: Callable[[dict[str, Any]], Awaitable[None]],
    ) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        self.received.append(Received(scope["path"], headers, body, time.monotonic()))
        self._arrived.set()
        reply = self.replies.popleft() if self.replies else self.default
        if reply.delay:
            await asyncio.sleep(reply.delay)
        await send(
            {
                "type": "http.response.start",
                "status": reply.status,
                "headers": [(b"content-type", b"text/plain")],
            }
        )
        await send({"type": "http.response.body", "body": reply.body})


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.asynccontextmanager
async def webhook_receiver(path: str = "/hooks") -> AsyncIterator[WebhookReceiver]:
    """A receiver served on 127.0.0.1 at a free port; its `url` ends in `path`."""
    receiver = WebhookReceiver()
    port = _free_port()
    config = uvicorn.Config(
        receiver,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="off",
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    receiver.url = f"http://127.0.0.1:{port}{path}"
    try:
        yield receiver
    finally:
        server.should_exit = True
        await task
