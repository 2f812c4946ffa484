"""graphql-cop's HIGH findings, probed as it probes them, anonymously and as staff.

Each probe sends graphql-cop's request for one finding and applies its criterion for
reporting it (written here from the tool's documented checks, not copied). Every
finding must stay unreported, with one deliberate exception: introspection, which
signed-in staff get by default because GraphiQL needs it
(`CUSTGRAPH_INTROSPECTION_FOR=none` turns it off, and then a staff scan reports no HIGH
either); anonymous callers never get it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx

from tests.conftest import SeededWorld, settings_for
from tests.support.server import served

Probe = Callable[[httpx.AsyncClient, dict[str, str]], Awaitable[bool]]


async def _post(http: httpx.AsyncClient, headers: dict[str, str], body: object) -> object:
    response = await http.post("/graphql", json=body, headers=headers)
    try:
        return response.json()
    except ValueError:
        return None


def _data(answer: object) -> dict[str, object]:
    data = answer.get("data") if isinstance(answer, dict) else None
    return data if isinstance(data, dict) else {}


async def introspection(http: httpx.AsyncClient, headers: dict[str, str]) -> bool:
    query = "query cop { __schema { types { name fields { name } } } }"
    schema = _data(await _post(http, headers, {"query": query})).get("__schema")
    return isinstance(schema, dict) and bool(schema.get("types"))


async def alias_overloading(http: httpx.AsyncClient, headers: dict[str, str]) -> bool:
    aliases = "".join(f"alias{i}:__typename \n" for i in range(101))
    return bool(_data(await _post(http, headers, {"query": "query { " + aliases + " }"})))


async def batch_queries(http: httpx.AsyncClient, headers: dict[str, str]) -> bool:
    answer = await _post(http, headers, [{"query": "query { __typename }"}] * 11)
    return isinstance(answer, list) and len(answer) >= 10


async def field_duplication(http: httpx.AsyncClient, headers: dict[str, str]) -> bool:
    query = "query { " + "__typename \n" * 500 + "} "
    return bool(_data(await _post(http, headers, {"query": query})).get("__typename"))


async def directive_overloading(http: httpx.AsyncClient, headers: dict[str, str]) -> bool:
    query = "query { __typename @aa@aa@aa@aa@aa@aa@aa@aa@aa@aa }"
    answer = await _post(http, headers, {"query": query})
    errors = answer.get("errors") if isinstance(answer, dict) else None
    return isinstance(errors, list) and len(errors) >= 10


HIGH: dict[str, Probe] = {
    "Introspection": introspection,
    "Alias Overloading": alias_overloading,
    "Batch Queries": batch_queries,
    "Field Duplication": field_duplication,
    "Directive Overloading": directive_overloading,
}


async def _reported(base_url: str, token: str | None) -> set[str]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        return {name for name, probe in HIGH.items() if await probe(http, dict(headers))}


async def test_an_anonymous_scan_reports_no_high_finding(seeded: SeededWorld) -> None:
    assert await _reported(seeded.app.base_url, None) == set()


async def test_a_staff_scan_reports_only_the_introspection_staff_are_given(
    seeded: SeededWorld,
) -> None:
    for role in ("OWNER", "VIEWER"):
        assert await _reported(seeded.app.base_url, seeded.tokens[role]) == {"Introspection"}


async def test_a_staff_scan_reports_nothing_with_introspection_off(seeded: SeededWorld) -> None:
    settings = settings_for(
        seeded.app.state.settings.database_url, introspection_for="none", delivery_worker=False
    )
    async with served(settings) as app:
        assert await _reported(app.base_url, seeded.tokens["OWNER"]) == set()
        assert await _reported(app.base_url, None) == set()
