"""The same request to an app serving compiled reads and to one serving the general path
only, on the same database: tests/api/test_fast_path.py and test_json_relations.py."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from tests.conftest import SeededWorld, settings_for
from tests.support.server import served

_REQUEST_ID = re.compile(rb'"requestId":"[0-9a-f]+"')
_REQUEST_ID_IN_MESSAGE = re.compile(rb"request id [0-9a-f]+")
_COMPILED = re.compile(r"^custgraph_graphql_compiled_requests_total (\S+)$", re.M)


class TwoPaths:
    """The same request to the compiled app and to the general one."""

    def __init__(self, world: SeededWorld, general: httpx.AsyncClient) -> None:
        self.compiled = httpx.AsyncClient(base_url=world.app.base_url, timeout=30)
        self.general = general
        self.tokens = world.tokens

    async def compiled_count(self) -> float:
        text = (await self.compiled.get("/metrics")).text
        match = _COMPILED.search(text)
        return float(match.group(1)) if match else 0.0

    def _headers(self, role: str) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.tokens[role]}",
            "Accept": "application/graphql-response+json",
        }

    async def post(
        self, query: str, variables: dict[str, Any] | None = None, role: str = "OWNER"
    ) -> bytes:
        """The compiled app's body alone (no /metrics request around it)."""
        body = {"query": query, "variables": variables or {}}
        response = await self.compiled.post("/graphql", json=body, headers=self._headers(role))
        return response.content

    async def both(
        self, query: str, variables: dict[str, Any] | None = None, role: str = "OWNER"
    ) -> tuple[bytes, bytes, bool]:
        """Both bodies (request ids blanked) and whether the compiled path answered.

        The compiled app gets the query twice: once through Strawberry's pipeline (where
        it is planned), once more as a planned document (fastpath/planned.py); both
        answers must be the same bytes.
        """
        body: dict[str, Any] = {"query": query, "variables": variables or {}}
        headers = self._headers(role)
        before = await self.compiled_count()
        fast = await self.compiled.post("/graphql", json=body, headers=headers)
        compiled = await self.compiled_count() > before
        again = await self.compiled.post("/graphql", json=body, headers=headers)
        assert again.status_code == fast.status_code
        if _blank(again.content) != _blank(fast.content):
            raise AssertionError(
                "planned answer: " + _first_difference(_blank(again.content), _blank(fast.content))
            )
        slow = await self.general.post("/graphql", json=body, headers=headers)
        assert fast.status_code == slow.status_code, (fast.text[:500], slow.text[:500])
        return _blank(fast.content), _blank(slow.content), compiled

    async def same(
        self, query: str, variables: dict[str, Any] | None = None, role: str = "OWNER"
    ) -> bool:
        fast, slow, compiled = await self.both(query, variables, role)
        if fast != slow:
            raise AssertionError(_first_difference(fast, slow))
        return compiled


def _blank(body: bytes) -> bytes:
    body = _REQUEST_ID_IN_MESSAGE.sub(b"request id -", body)
    return _REQUEST_ID.sub(b'"requestId":"-"', body)


def _first_difference(fast: bytes, slow: bytes) -> str:
    at = next((i for i, (a, b) in enumerate(zip(fast, slow, strict=False)) if a != b), None)
    at = min(len(fast), len(slow)) if at is None else at
    return f"bodies differ at byte {at}:\ncompiled {fast[max(at - 200, 0) : at + 200]!r}\n" + (
        f"general  {slow[max(at - 200, 0) : at + 200]!r}"
    )


@asynccontextmanager
async def two_paths(world: SeededWorld) -> AsyncIterator[TwoPaths]:
    """`world`'s app, and a second app on its database with compiled reads off."""
    settings = settings_for(
        world.app.state.settings.database_url, compiled_reads=False, delivery_worker=False
    )
    async with (
        served(settings) as general_app,
        httpx.AsyncClient(base_url=general_app.base_url, timeout=30) as general,
    ):
        two = TwoPaths(world, general)
        try:
            yield two
        finally:
            await two.compiled.aclose()
