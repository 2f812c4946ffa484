"""The app served over real HTTP on a loopback port, in the test's event loop."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from typing import Any

import uvicorn
from starlette.applications import Starlette

from custgraph.app import create_app
from custgraph.settings import Settings
from custgraph.state import AppState


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServedApp:
    def __init__(self, app: Starlette, base_url: str) -> None:
        self.app = app
        self.base_url = base_url

    @property
    def state(self) -> AppState:
        state: AppState = self.app.state.custgraph
        return state


@contextlib.asynccontextmanager
async def served(settings: Settings, **uvicorn_options: Any) -> AsyncIterator[ServedApp]:
    app = create_app(settings)
    port = _free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", lifespan="on", **uvicorn_options
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield ServedApp(app, f"http://127.0.0.1:{port}")
    finally:
        server.should_exit = True
        await task
