"""Depth, alias, token and cost limits: refused with their codes before the database."""

from __future__ import annotations

from typing import Any

from tests.api.queries import LIST_PAGE
from tests.conftest import SeededWorld
from tests.support.client import GraphQLClient, GraphQLResponse
from tests.support.statements import recorded

# Only the principal's look-up may run for a refused query.
AT_MOST_PRINCIPAL = 1


async def _refused(
    seeded: SeededWorld, gql: GraphQLClient, query: str, variables: dict[str, Any] | None = None
) -> tuple[GraphQLResponse, dict[str, Any]]:
    with recorded(seeded.app.state.engine) as log:
        response = await gql(query, variables)
    assert response.status == 400, response.body
    assert "data" not in response.body
    assert len(response.errors) == 1, response.errors
    assert log.count <= AT_MOST_PRINCIPAL, log.statements
    extensions: dict[str, Any] = response.errors[0]["extensions"]
    return response, extensions


def _merged_into_chain(levels: int) -> str:
    return (
        "{ customers(first: 1) { nodes { id "
        + "mergedInto { id " * levels
        + "}" * levels
        + " } } }"
    )


async def test_query_deeper_than_the_limit_is_refused_as_too_deep(
    seeded: SeededWorld, gql: GraphQLClient
) -> None:
    _, extensions = await _refused(seeded, gql, _merged_into_chain(14))
    assert extensions["code"] == "QUERY_TOO_DEEP"
    assert extensions["depth"] == 16  # customers, nodes, then 14 x mergedInto
    assert extensions["maxDepth"] == 12


async def test_query_at_the_depth_limit_runs(gql: GraphQLClient) -> None:
    (await gql(_merged_into_chain(10))).ok()


async def test_deep_fragments_count_towards_the_depth(
    seeded: SeededWorld, gql: GraphQLClient
) -> None:
    query = (
        "query { customers(first: 1) { nodes { ...Deep } } }\n"
        "fragment Deep on Customer { " + "mergedInto { id " * 12 + "}" * 12 + " }"
    )
    _, extensions = await _refused(seeded, gql, query)
    assert extensions["code"] == "QUERY_TOO_DEEP"
    assert extensions["depth"] == 14


async def test_too_many_aliases_are_refused_as_too_complex(
    seeded: SeededWorld, gql: GraphQLClient
) -> None:
    query = "{ " + " ".join(f"a{i}: viewer {{ kind }}" for i in range(31)) + " }"
    _, extensions = await _refused(seeded, gql, query)
    assert extensions == {
        "code": "QUERY_TOO_COMPLEX",
        "aliases": 31,
        "maxAliases": 30,
        "requestId": extensions["requestId"],
    }


async def test_too_many_tokens_are_refused_as_too_complex(
    seeded: SeededWorld, gql: GraphQLClient
) -> None:
    query = "{ " + "__typename " * 5001 + "}"
    _, extensions = await _refused(seeded, gql, query)
    assert extensions["code"] == "QUERY_TOO_COMPLEX"
    assert extensions["maxTokens"] == 5000


async def test_every_response_reports_its_cost(gql: GraphQLClient) -> None:
    response = await gql("{ viewer { kind } }")
    response.ok()
    assert response.body["extensions"]["cost"] == {"requestedQueryCost": 1, "actualQueryCost": 1}


async def test_the_actual_cost_counts_the_objects_returned(gql: GraphQLClient) -> None:
    response = await gql(
        "{ customers(first: 3) { nodes { creditBalance { amount } orders(first: 2) "
        "{ nodes { reference } } } } }"
    )
    data = response.ok()
    nodes = data["customers"]["nodes"]
    # customers, then per customer: the node, its Money, its orders connection and orders.
    expected = 1 + sum(3 + len(n["orders"]["nodes"]) for n in nodes)
    cost = response.body["extensions"]["cost"]
    assert cost["actualQueryCost"] == expected
    assert cost["requestedQueryCost"] > expected


async def test_list_page_cost_grows_linearly_with_the_page_size(gql: GraphQLClient) -> None:
    small = await gql(LIST_PAGE, {"first": 10})
    large = await gql(LIST_PAGE, {"first": 100})
    small.ok()
    large.ok()
    # What came back: never more than asked for, and growing with the page too.
    small_actual = small.body["extensions"]["cost"]["actualQueryCost"]
    large_actual = large.body["extensions"]["cost"]["actualQueryCost"]
    assert 0 < small_actual < large_actual <= large.body["extensions"]["cost"]["requestedQueryCost"]
    small_cost = small.body["extensions"]["cost"]["requestedQueryCost"]
    large_cost = large.body["extensions"]["cost"]["requestedQueryCost"]
    # 1 for the connection itself plus the page size times what one customer costs.
    assert large_cost - 1 == 10 * (small_cost - 1)
    assert small_cost > 100


async def test_fragments_cost_what_their_inline_selection_costs(gql: GraphQLClient) -> None:
    inline = await gql("{ customers(first: 7) { nodes { orders(first: 3) { nodes { id } } } } }")
    with_fragments = await gql(
        "query { customers(first: 7) { nodes { ...Orders } } }\n"
        "fragment Orders on Customer { orders(first: 3) { nodes { ... on Order { id } } } }"
    )
    costs = [r.body["extensions"]["cost"]["requestedQueryCost"] for r in (inline, with_fragments)]
    assert costs[0] == costs[1] == 1 + 7 * (1 + 1 + 3 * 1)


async def test_page_sizes_come_from_variables(gql: GraphQLClient) -> None:
    query = "query($n: Int = 4) { customers(first: $n) { nodes { id } } }"
    assert (await gql(query)).body["extensions"]["cost"]["requestedQueryCost"] == 1 + 4 * 1
    given = await gql(query, {"n": 9})
    assert given.body["extensions"]["cost"]["requestedQueryCost"] == 1 + 9 * 1


async def test_nested_pages_of_100_under_100_are_refused_as_too_complex(
    seeded: SeededWorld, gql: GraphQLClient
) -> None:
    query = """query($n: Int!) { customers(first: $n) { nodes { id
        orders(first: $n) { nodes { reference } } } } }"""
    _, extensions = await _refused(seeded, gql, query, {"n": 100})
    assert extensions["code"] == "QUERY_TOO_COMPLEX"
    assert extensions["cost"] == 1 + 100 * (1 + 1 + 100 * 1)
    assert extensions["maxCost"] == 10000
