"""A TCP proxy on a loopback port that a test can cut, freeze and restore.

- `cut()` resets every connection through it (both sides, with RST) and stops
  listening, so new connections are refused: the server behind it went down.
- `freeze()` keeps every connection open and accepts new ones, but stops passing bytes
  either way: the network went silent, as in a partition, with no reset to tell anyone.
- `restore()` passes bytes again and listens on the same port as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

_CHUNK = 64 * 1024
_LINGER_RESET = struct.pack("ii", 1, 0)  # close() sends RST instead of FIN


@dataclass(eq=False)  # kept in a set by identity
class _Link:
    """One client connection and its connection to the upstream server."""

    client: asyncio.StreamWriter
    upstream: asyncio.StreamWriter | None = None
    pumps: list[asyncio.Task[None]] = field(default_factory=list)

    def reset(self) -> None:
        for pump in self.pumps:
            pump.cancel()
        for writer in (self.client, self.upstream):
            if writer is None:
                continue
            sock = writer.get_extra_info("socket")
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_RESET)
            writer.transport.abort()


class TcpProxy:
    def __init__(self, upstream_host: str, upstream_port: int, host: str = "127.0.0.1") -> None:
        self.upstream_host = upstream_host
        self.upstream_port = upstream_port
        self.host = host
        self.port = 0  # chosen by the system on the first start, kept afterwards
        self.accepted = 0  # connections accepted since the proxy was made
        self._server: asyncio.Server | None = None
        self._links: set[_Link] = set()
        self._flowing = asyncio.Event()
        self._flowing.set()

    async def start(self) -> None:
        """Listen: on a free port the first time, on the same port afterwards."""
        if self._server is None:
            self._server = await asyncio.start_server(self._serve, self.host, self.port)
            self.port = int(self._server.sockets[0].getsockname()[1])

    async def cut(self) -> None:
        """Reset every open connection and refuse new ones until `restore()`."""
        server, self._server = self._server, None
        if server is not None:
            server.close()
        for link in list(self._links):
            link.reset()
        self._links.clear()
        if server is not None:
            await server.wait_closed()

    def freeze(self) -> None:
        """Pass no more bytes, on open connections and new ones, until `restore()`."""
        self._flowing.clear()

    async def restore(self) -> None:
        self._flowing.set()
        await self.start()

    async def close(self) -> None:
        self._flowing.set()
        await self.cut()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        link = _Link(client=writer)
        self._links.add(link)
        try:
            up_reader, link.upstream = await asyncio.open_connection(
                self.upstream_host, self.upstream_port
            )
        except OSError:
            self._links.discard(link)
            link.reset()
            return
        if link not in self._links:  # cut while connecting upstream
            link.reset()
            return
        link.pumps = [
            asyncio.create_task(self._pump(reader, link.upstream)),
            asyncio.create_task(self._pump(up_reader, writer)),
        ]
        try:
            # Either side ending ends the link; the other pump is stopped with it.
            await asyncio.wait(link.pumps, return_when=asyncio.FIRST_COMPLETED)
        finally:
            if link in self._links:
                self._links.discard(link)
                for pump in link.pumps:
                    pump.cancel()
                for side in (writer, link.upstream):
                    side.close()

    async def _pump(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            while True:
                await self._flowing.wait()
                data = await source.read(_CHUNK)
                if not data:
                    return
                await self._flowing.wait()  # bytes read as the freeze began wait for its end
                sink.write(data)
                await sink.drain()


@contextlib.asynccontextmanager
async def proxied(upstream_host: str, upstream_port: int) -> AsyncIterator[TcpProxy]:
    """A started proxy to `upstream_host:upstream_port`, closed at the end."""
    proxy = TcpProxy(upstream_host, upstream_port)
    await proxy.start()
    try:
        yield proxy
    finally:
        await proxy.close()
