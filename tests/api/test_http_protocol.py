"""GraphQL over HTTP as the specification asks: methods, media types, status codes."""

from __future__ import annotations

import re

import httpx

from custgraph.http.request_id import request_id_from
from tests.conftest import SeededWorld

QUERY = "{ customers(first: 1) { totalCount } }"


def _auth(seeded: SeededWorld, role: str = "OWNER") -> dict[str, str]:
    return {"Authorization": f"Bearer {seeded.tokens[role]}"}


async def test_post_answers_in_the_media_type_the_client_accepts(
    http: httpx.AsyncClient, seeded: SeededWorld
) -> None:
    for accept, expected in [
        ("application/graphql-response+json", "application/graphql-response+json"),
        ("application/json", "application/json"),
        (
            "application/json;q=0.5, application/graphql-response+json",
            "application/graphql-response+json",
        ),
        ("*/*", "application/json"),
        (None, "application/json"),
    ]:
        headers = _auth(seeded)
        if accept:
            headers["Accept"] = accept
        response = await http.post("/graphql", json={"query": QUERY}, headers=headers)
        assert response.status_code == 200, accept
        assert response.headers["content-type"].startswith(expected), accept
        assert response.json()["data"]["customers"]["totalCount"] > 0


async def test_unacceptable_accept_is_406(http: httpx.AsyncClient, seeded: SeededWorld) -> None:
    response = await http.post(
        "/graphql", json={"query": QUERY}, headers={**_auth(seeded), "Accept": "text/csv"}
    )
    assert response.status_code == 406


async def test_unparsable_document_is_400_without_data_for_graphql_response_json(
    http: httpx.AsyncClient, seeded: SeededWorld
) -> None:
    for document in [
        "{ customers(first: ",
        "{ noSuchField }",
        "query($x: Int!) { viewer { name } }",
    ]:
        response = await http.post(
            "/graphql",
            json={"query": document},
            headers={**_auth(seeded), "Accept": "application/graphql-response+json"},
        )
        assert response.status_code == 400, document
        body = response.json()
        assert "data" not in body
        assert body["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_unparsable_document_is_200_with_errors_for_application_json(
    http: httpx.AsyncClient, seeded: SeededWorld
) -> None:
    response = await http.post(
        "/graphql",
        json={"query": "{ customers(first: "},
        headers={**_auth(seeded), "Accept": "application/json"},
    )
    assert response.status_code == 200
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_variables_that_do_not_coerce_are_400(
    http: httpx.AsyncClient, seeded: SeededWorld
) -> None:
    response = await http.post(
        "/graphql",
        json={
            "query": "query($n: Int) { customers(first: $n) { totalCount } }",
            "variables": {"n": "ten"},
        },
        headers={**_auth(seeded), "Accept": "application/graphql-response+json"},
    )
    assert response.status_code == 400
    assert "data" not in response.json()


async def test_get_runs_queries_from_query_parameters(
    http: httpx.AsyncClient, seeded: SeededWorld
) -> None:
    response = await http.get(
        "/graphql",
        params={
            "query": "query($n: Int) { customers(first: $n) { edges { cursor } } }",
            "variables": '{"n": 2}',
        },
        headers={**_auth(seeded), "Accept": "application/json"},
    )
    assert response.status_code == 200
    assert len(response.json()["data"]["customers"]["edges"]) == 2


async def test_get_refuses_mutations_with_405(http: httpx.AsyncClient, seeded: SeededWorld) -> None:
    response = await http.get(
        "/graphql",
        params={
            "query": 'mutation { staffLogin(input: {email: "a@b.c", password: "x"}) { token } }'
        },
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"


async def test_malformed_bodies_are_400_or_415(http: httpx.AsyncClient) -> None:
    cases = [
        ({"content": b"{not json", "headers": {"Content-Type": "application/json"}}, 400),
        ({"json": {"variables": {}}}, 400),
        ({"json": {"query": 42}}, 400),
        ({"json": {"query": QUERY, "variables": [1]}}, 400),
        ({"json": [{"query": QUERY}, {"query": QUERY}]}, 400),
        ({"content": b"query=x", "headers": {"Content-Type": "text/plain"}}, 415),
    ]
    for kwargs, status in cases:
        response = await http.post("/graphql", **kwargs)  # type: ignore[arg-type]
        assert response.status_code == status, kwargs
        assert response.json()["errors"][0]["message"]


async def test_request_id_is_echoed_or_made(http: httpx.AsyncClient, seeded: SeededWorld) -> None:
    given = await http.post(
        "/graphql", json={"query": QUERY}, headers={**_auth(seeded), "X-Request-Id": "abc-123"}
    )
    assert given.headers["x-request-id"] == "abc-123"
    made = await http.post(
        "/graphql", json={"query": QUERY}, headers={**_auth(seeded), "X-Request-Id": "<bad id>"}
    )
    assert re.fullmatch(r"[0-9a-f]{32}", made.headers["x-request-id"])
    error = await http.post(
        "/graphql", json={"query": "{ nope }"}, headers={**_auth(seeded), "X-Request-Id": "req-7"}
    )
    assert error.json()["errors"][0]["extensions"]["requestId"] == "req-7"


async def test_anonymous_callers_are_unauthenticated(http: httpx.AsyncClient) -> None:
    response = await http.post("/graphql", json={"query": QUERY})
    body = response.json()
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_bad_tokens_are_401_unauthenticated(http: httpx.AsyncClient) -> None:
    for header in ["Bearer x.y.z", "Bearer cgk_000000000000_00", "Basic abc", "Bearer"]:
        response = await http.post(
            "/graphql", json={"query": QUERY}, headers={"Authorization": header}
        )
        assert response.status_code == 401, header
        assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_browsers_get_graphiql_from_get(http: httpx.AsyncClient) -> None:
    response = await http.get("/graphql", headers={"Accept": "text/html,application/xhtml+xml"})
    assert response.headers["content-type"].startswith("text/html")
    assert response.status_code in (200, 503)  # 503 explains how to install missing assets


async def test_health_checks(http: httpx.AsyncClient) -> None:
    assert (await http.get("/health/live")).json() == {"status": "live"}
    ready = await http.get("/health/ready")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready"}


def test_made_request_ids_are_32_hex_digits_and_do_not_repeat() -> None:
    made = [request_id_from(None) for _ in range(10_000)]
    # A sixteenth of them start with a zero digit: unpadded, they would be shorter.
    assert all(re.fullmatch(r"[0-9a-f]{32}", m) for m in made)
    assert len(set(made)) == len(made)
