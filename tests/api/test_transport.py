"""The HTTP edge: body size limit, CORS, request ids on every answer, introspection."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson

from tests.api.test_commercial import new_customer
from tests.conftest import SeededWorld, settings_for
from tests.support.client import GraphQLClient
from tests.support.server import served

NOTE_ADD = """mutation($input: CustomerNoteAddInput!) { customerNoteAdd(input: $input) {
  note { id } userErrors { code } } }"""
NOTES = "query($id: ID!) { customer(id: $id) { notes(first: 5) { totalCount } } }"
ONE_MIB = 1024 * 1024


def _auth(world: SeededWorld, role: str = "OWNER") -> dict[str, str]:
    return {"Authorization": f"Bearer {world.tokens[role]}"}


async def _note_count(wgql: GraphQLClient, customer_id: str) -> int:
    count: int = (await wgql(NOTES, {"id": customer_id})).ok()["customer"]["notes"]["totalCount"]
    return count


def _note_body(customer_id: str, size: int) -> bytes:
    return orjson.dumps(
        {"query": NOTE_ADD, "variables": {"input": {"customerId": customer_id, "body": "x" * size}}}
    )


def _assert_refused_as_too_large(response: httpx.Response, request_id: str) -> None:
    assert response.status_code == 413
    error = response.json()["errors"][0]
    assert error["extensions"] == {"code": "BAD_REQUEST", "requestId": request_id}
    assert response.headers["x-request-id"] == request_id


async def test_a_body_over_the_limit_is_413_and_writes_nothing(
    writable_http: httpx.AsyncClient, wgql: GraphQLClient, writable: SeededWorld
) -> None:
    customer_id = await new_customer(writable)
    response = await writable_http.post(
        "/graphql",
        content=_note_body(customer_id, ONE_MIB),
        headers={
            **_auth(writable),
            "Content-Type": "application/json",
            "X-Request-Id": "too-big-1",
        },
    )
    _assert_refused_as_too_large(response, "too-big-1")
    assert await _note_count(wgql, customer_id) == 0


async def test_a_chunked_body_over_the_limit_is_413_and_writes_nothing(
    writable_http: httpx.AsyncClient, wgql: GraphQLClient, writable: SeededWorld
) -> None:
    customer_id = await new_customer(writable)
    body = _note_body(customer_id, ONE_MIB)
    sent = 0

    async def chunks() -> AsyncIterator[bytes]:
        nonlocal sent
        for start in range(0, len(body), 64 * 1024):
            sent += 1
            yield body[start : start + 64 * 1024]

    try:
        response = await writable_http.post(
            "/graphql",
            content=chunks(),  # no Content-Length: sent with Transfer-Encoding: chunked
            headers={
                **_auth(writable),
                "Content-Type": "application/json",
                "X-Request-Id": "too-big-2",
            },
        )
    except httpx.WriteError:
        # The server answered and closed before the client finished sending: refused
        # unread. What it answered is not observable then; nothing may be written.
        pass
    else:
        _assert_refused_as_too_large(response, "too-big-2")
    assert await _note_count(wgql, customer_id) == 0


async def test_a_body_under_the_limit_is_served(wgql: GraphQLClient, writable: SeededWorld) -> None:
    customer_id = await new_customer(writable)
    # Nearly the whole megabyte is an undeclared variable, which GraphQL ignores.
    variables = {"input": {"customerId": customer_id, "body": "y"}, "pad": "p" * 1_000_000}
    data = (await wgql(NOTE_ADD, variables)).ok()
    assert data["customerNoteAdd"]["userErrors"] == []
    assert await _note_count(wgql, customer_id) == 1


async def test_the_body_limit_is_configurable(seeded: SeededWorld) -> None:
    settings = settings_for(seeded.app.state.settings.database_url, max_body_bytes=200)
    async with served(settings) as app, httpx.AsyncClient(base_url=app.base_url) as http:
        small = await http.post(
            "/graphql", json={"query": "{ viewer { name } }"}, headers=_auth(seeded)
        )
        assert small.status_code == 200, small.text
        large = await http.post(
            "/graphql",
            json={"query": "{ viewer { name } }", "variables": {"pad": "z" * 300}},
            headers={**_auth(seeded), "X-Request-Id": "over-200"},
        )
        _assert_refused_as_too_large(large, "over-200")


async def test_a_batch_is_refused_with_400(http: httpx.AsyncClient, seeded: SeededWorld) -> None:
    response = await http.post(
        "/graphql",
        json=[{"query": "{ viewer { name } }"}, {"query": "{ viewer { name } }"}],
        headers={**_auth(seeded), "X-Request-Id": "batch-1"},
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    assert response.headers["x-request-id"] == "batch-1"


async def test_unknown_paths_and_methods_answer_with_a_code_and_the_request_id(
    http: httpx.AsyncClient,
) -> None:
    missing = await http.get("/no-such-page", headers={"X-Request-Id": "lost-1"})
    assert missing.status_code == 404
    assert missing.json()["errors"][0]["extensions"] == {
        "code": "NOT_FOUND",
        "requestId": "lost-1",
    }
    assert missing.headers["x-request-id"] == "lost-1"
    wrong_method = await http.delete("/graphql")
    assert wrong_method.status_code == 405
    request_id = wrong_method.headers["x-request-id"]
    assert wrong_method.json()["errors"][0]["extensions"] == {
        "code": "BAD_REQUEST",
        "requestId": request_id,
    }


async def test_a_made_up_request_id_is_the_same_in_the_header_and_the_errors(
    http: httpx.AsyncClient, seeded: SeededWorld
) -> None:
    response = await http.post("/graphql", json={"query": "{ noSuchField }"}, headers=_auth(seeded))
    request_id = response.headers["x-request-id"]
    assert response.json()["errors"][0]["extensions"]["requestId"] == request_id


async def test_without_cors_origins_no_cors_headers_are_sent(
    http: httpx.AsyncClient, seeded: SeededWorld
) -> None:
    response = await http.post(
        "/graphql",
        json={"query": "{ viewer { name } }"},
        headers={**_auth(seeded), "Origin": "https://admin.example.com"},
    )
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers


async def test_cors_allows_the_configured_origins_only(seeded: SeededWorld) -> None:
    settings = settings_for(
        seeded.app.state.settings.database_url, cors_origins=["https://admin.example.com"]
    )
    async with served(settings) as app, httpx.AsyncClient(base_url=app.base_url) as http:
        preflight = await http.options(
            "/graphql",
            headers={
                "Origin": "https://admin.example.com",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization, content-type",
            },
        )
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == "https://admin.example.com"
        allowed = preflight.headers["access-control-allow-headers"].lower()
        assert "authorization" in allowed and "content-type" in allowed
        answer = await http.post(
            "/graphql",
            json={"query": "{ viewer { name } }"},
            headers={**_auth(seeded), "Origin": "https://admin.example.com"},
        )
        assert answer.headers["access-control-allow-origin"] == "https://admin.example.com"
        assert "x-request-id" in answer.headers["access-control-expose-headers"].lower()

        other = await http.options(
            "/graphql",
            headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
        )
        assert other.status_code == 400
        assert "access-control-allow-origin" not in other.headers


INTROSPECT = "{ __schema { queryType { name } } }"
TYPE_INTROSPECT = '{ customers(first: 1) { nodes { id } } __type(name: "Customer") { name } }'
MISSPELT = "{ customers(first: 1) { nodes { firstNam } } }"


async def _api_key(gql: GraphQLClient) -> str:
    created = (
        await gql(
            """mutation { apiKeyCreate(input: {name: "introspection test",
               scopes: ["customers:read"]}) { secret userErrors { code } } }"""
        )
    ).ok()
    secret: str = created["apiKeyCreate"]["secret"]
    return secret


async def test_staff_may_introspect_and_get_suggestions(gql: GraphQLClient) -> None:
    assert (await gql(INTROSPECT)).ok()["__schema"]["queryType"]["name"] == "Query"
    misspelt = await gql(MISSPELT)
    assert misspelt.status == 400
    assert "Did you mean" in misspelt.errors[0]["message"]


async def test_api_keys_may_not_introspect_or_get_suggestions(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    partner = wgql.as_(await _api_key(wgql))
    for document in (INTROSPECT, TYPE_INTROSPECT):
        refused = await partner(document)
        assert refused.status == 400, refused.body
        assert refused.codes == ["FORBIDDEN"]
        assert "data" not in refused.body
    misspelt = await partner(MISSPELT)
    assert misspelt.status == 400
    assert misspelt.codes == ["BAD_REQUEST"]
    assert "Did you mean" not in misspelt.errors[0]["message"]
    assert "firstName" not in misspelt.errors[0]["message"]
    assert "firstNam" in misspelt.errors[0]["message"]
    assert (await partner("{ customers(first: 1) { totalCount } }")).ok()


async def _served_with(seeded: SeededWorld, **overrides: Any) -> Any:
    return served(settings_for(seeded.app.state.settings.database_url, **overrides))


async def test_introspection_for_none_refuses_staff_too(seeded: SeededWorld) -> None:
    async with (
        await _served_with(seeded, introspection_for="none") as app,
        httpx.AsyncClient(base_url=app.base_url) as http,
    ):
        owner = GraphQLClient(http, seeded.tokens["OWNER"])
        refused = await owner(INTROSPECT)
        assert (refused.status, refused.codes) == (400, ["FORBIDDEN"])
        misspelt = await owner(MISSPELT)
        assert "Did you mean" not in misspelt.errors[0]["message"]


async def test_introspection_for_all_still_refuses_anonymous_callers(
    seeded: SeededWorld,
) -> None:
    async with (
        await _served_with(seeded, introspection_for="all") as app,
        httpx.AsyncClient(base_url=app.base_url) as http,
    ):
        viewer = GraphQLClient(http, seeded.tokens["VIEWER"])
        assert (await viewer(INTROSPECT)).ok()["__schema"]["queryType"]["name"] == "Query"
        anonymous = await GraphQLClient(http)(INTROSPECT)
        assert anonymous.codes == ["UNAUTHENTICATED"]
