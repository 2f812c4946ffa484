"""Inputs the fuzzer found answering INTERNAL or 500: each gets a typed answer now."""

from __future__ import annotations

import base64

import httpx

from tests.conftest import SeededWorld
from tests.support.client import GraphQLClient


def _raw_id(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


async def test_ids_beyond_64_bits_are_bad_requests(gql: GraphQLClient) -> None:
    for raw in ["Customer:" + "9" * 40, f"Customer:{2**63}", f"Address:{2**64}"]:
        response = await gql("query($id: ID!) { node(id: $id) { id } }", {"id": _raw_id(raw)})
        assert response.codes == ["BAD_REQUEST"], raw
        nodes = await gql(
            "query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": [_raw_id(raw)]}
        )
        assert nodes.codes == ["BAD_REQUEST"], raw


async def test_an_overlong_search_is_a_bad_request(gql: GraphQLClient) -> None:
    response = await gql(
        "query($s: String) { customers(first: 5, search: $s) { totalCount } }", {"s": "x" * 500_000}
    )
    assert response.codes == ["BAD_REQUEST"]
    assert "at most 200" in response.errors[0]["message"]


async def test_nul_characters_are_refused_before_anything_runs(
    http: httpx.AsyncClient, seeded: SeededWorld
) -> None:
    auth = {"Authorization": f"Bearer {seeded.tokens['OWNER']}"}
    for body in [
        {
            "query": "query($s: String) { customers(first: 1, search: $s) { totalCount } }",
            "variables": {"s": "ab\x00cd"},
        },
        {"query": "{ viewer { kind } }", "variables": {"nested": [{"x\x00": 1}]}},
    ]:
        response = await http.post("/graphql", json=body, headers=auth)
        assert response.status_code == 400, body
        assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    # An escaped NUL inside the document itself is only a NUL once parsed.
    literal = await http.post(
        "/graphql",
        json={"query": '{ customers(first: 1, search: "a\\u0000b") { totalCount } }'},
        headers=auth,
    )
    assert [e["extensions"]["code"] for e in literal.json()["errors"]] == ["BAD_REQUEST"]
    # Anonymous, in a sign-in: it reached PostgreSQL and failed there with a 500.
    login = await http.post(
        "/graphql",
        json={
            "query": 'mutation { customerLogin(input: {email: "a\\u0000@b.example",'
            ' password: "pw"}) { userErrors { code } } }'
        },
    )
    errors = login.json()["errors"]
    assert [e["extensions"]["code"] for e in errors] == ["BAD_REQUEST"]
    assert "NUL" in errors[0]["message"]


async def test_one_failing_field_leaves_the_rest_of_the_request_served(
    gql: GraphQLClient,
) -> None:
    # A database error in one field must not poison the request's connection for the
    # others (it did on PostgreSQL: the whole request became a plain-text 500).
    response = await gql(
        "query($bad: ID!) { node(id: $bad) { id } customers(first: 2) { totalCount } }",
        {"bad": _raw_id("Customer:" + "9" * 40)},
    )
    assert response.status == 200
    assert response.data["customers"]["totalCount"] > 0
