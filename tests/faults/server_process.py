"""`custgraph serve` as a real operating-system process, on a database seeded for it.

The fault tests kill and stop the server with signals, which needs a process of its own
rather than the in-process server of `tests/support/server.py`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx

from tests.conftest import TEST_SECRET

STARTUP_SECONDS = 30.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_environment(url: str, log_level: str = "INFO") -> dict[str, str]:
    """The process environment of a server on `url`: nothing of the caller's CUSTGRAPH_*."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CUSTGRAPH_")}
    env.update(
        CUSTGRAPH_DATABASE_URL=url,
        CUSTGRAPH_SECRET_KEY=TEST_SECRET,
        CUSTGRAPH_RATE_LIMIT_ENABLED="false",
        CUSTGRAPH_DELIVERY_WORKER="false",
        CUSTGRAPH_LOG_LEVEL=log_level,
    )
    return env


class ServerProcess:
    def __init__(self, process: subprocess.Popen[bytes], port: int, log: Path) -> None:
        self.process = process
        self.port = port
        self.base_url = f"http://127.0.0.1:{port}"
        self.log = log

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def signal(self, signum: signal.Signals) -> None:
        self.process.send_signal(signum)

    async def wait_exit(self, seconds: float) -> int | None:
        """The exit status once the process ends, or None if it is still running after
        `seconds` (negative: killed by that signal, as subprocess reports it)."""
        deadline = asyncio.get_running_loop().time() + seconds
        while (status := self.process.poll()) is None:
            if asyncio.get_running_loop().time() > deadline:
                return None
            await asyncio.sleep(0.02)
        return status

    async def wait_ready(self, seconds: float = STARTUP_SECONDS) -> None:
        deadline = asyncio.get_running_loop().time() + seconds
        async with httpx.AsyncClient(base_url=self.base_url, timeout=2) as http:
            while True:
                if self.process.poll() is not None:
                    raise AssertionError(f"the server exited at start:\n{self.log_text()[-3000:]}")
                with contextlib.suppress(httpx.TransportError):
                    if (await http.get("/health/ready")).status_code == 200:
                        return
                if asyncio.get_running_loop().time() > deadline:
                    raise AssertionError(f"the server was not ready:\n{self.log_text()[-3000:]}")
                await asyncio.sleep(0.05)

    async def accepts_connections(self) -> bool:
        try:
            _, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", self.port), 2)
        except OSError:  # refused (or, as TimeoutError, never answered)
            return False
        writer.close()
        return True

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)


def start_server(
    url: str, folder: Path, name: str, extra_env: dict[str, str] | None = None
) -> ServerProcess:
    """Start `custgraph serve` on `url` on a free port; its output goes to `name`.log."""
    port = free_port()
    log = folder / f"{name}.log"
    command = [sys.executable, "-m", "custgraph", "serve", "--host", "127.0.0.1"]
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*command, "--port", str(port)],
            env={**server_environment(url), **(extra_env or {})},
            cwd=folder,  # no .env file of the checkout is read
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return ServerProcess(process, port, log)


@contextlib.asynccontextmanager
async def server_process(
    url: str, folder: Path, name: str, extra_env: dict[str, str] | None = None
) -> AsyncIterator[ServerProcess]:
    """`custgraph serve` on `url`, ready; killed at the end if still running."""
    server = start_server(url, folder, name, extra_env)
    try:
        await server.wait_ready()
        yield server
    finally:
        server.kill()
