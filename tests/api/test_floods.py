"""Directive and field floods refused with one error; no answer carries errors unbounded."""

from __future__ import annotations

from tests.conftest import SeededWorld
from tests.support.client import GraphQLClient
from tests.support.statements import recorded

DIRECTIVE_FLOOD = "query { __typename @aa@aa@aa@aa@aa@aa@aa@aa@aa@aa }"
FIELD_FLOOD = "query { " + "__typename \n" * 500 + "}"


async def test_a_repeated_directive_is_one_error_for_every_caller(
    seeded: SeededWorld, gql: GraphQLClient
) -> None:
    for caller in (gql, gql.as_(None), gql.as_(seeded.tokens["VIEWER"])):
        with recorded(seeded.app.state.engine) as log:
            response = await caller(DIRECTIVE_FLOOD)
        assert response.status == 400, response.body
        assert "data" not in response.body
        assert len(response.errors) == 1, response.errors
        error = response.errors[0]
        assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
        assert error["extensions"]["directive"] == "aa"
        assert error["locations"] == [{"line": 1, "column": 20}]
        assert log.count <= 1  # at most the caller's session look-up


async def test_a_known_directive_repeated_is_refused_too(gql: GraphQLClient) -> None:
    response = await gql("{ viewer @include(if: true) @include(if: true) { kind } }")
    assert response.codes == ["QUERY_TOO_COMPLEX"]
    assert response.errors[0]["extensions"]["directive"] == "include"


async def test_different_directives_in_one_place_still_work(gql: GraphQLClient) -> None:
    data = (await gql("{ viewer @skip(if: false) @include(if: true) { kind } }")).ok()
    assert data == {"viewer": {"kind": "STAFF"}}


async def test_directives_beyond_the_limit_are_refused_with_the_figures(
    gql: GraphQLClient,
) -> None:
    # Aliases are limited too (30): each directive sits in a fragment of its own.
    def document(count: int) -> str:
        spreads = " ".join(f"...F{i}" for i in range(count))
        fragments = "\n".join(
            f"fragment F{i} on Query {{ __typename @include(if: true) }}" for i in range(count)
        )
        return "{ " + spreads + " }\n" + fragments

    (await gql(document(50))).ok()
    refused = await gql(document(51))
    assert refused.status == 400
    assert refused.codes == ["QUERY_TOO_COMPLEX"]
    assert refused.errors[0]["extensions"]["directives"] == 51
    assert refused.errors[0]["extensions"]["maxDirectives"] == 50


async def test_a_field_selected_hundreds_of_times_is_refused_before_anything_runs(
    seeded: SeededWorld, gql: GraphQLClient
) -> None:
    for caller in (gql, gql.as_(None)):
        response = await caller(FIELD_FLOOD)
        assert response.status == 400, response.body
        assert "data" not in response.body
        assert response.codes == ["QUERY_TOO_COMPLEX"]
        figures = response.errors[0]["extensions"]
        assert (figures["field"], figures["repeats"], figures["maxFieldRepeats"]) == (
            "__typename",
            500,
            5,
        )
    # A few repeats, as a client's fragments and edits leave them, are answered once.
    assert (await gql("{ __typename __typename __typename }")).ok() == {"__typename": "Query"}


async def test_no_answer_carries_more_errors_than_the_cap(
    seeded: SeededWorld, gql: GraphQLClient
) -> None:
    viewer = gql.as_(seeded.tokens["VIEWER"])
    query = "{ customers(first: 60) { nodes { id email phone dateOfBirth } } }"
    for attempt in ("pipeline", "planned"):
        response = await viewer(query)
        assert response.status == 200, attempt
        assert len(response.body["data"]["customers"]["nodes"]) == 60
        # 60 customers x 3 fields the VIEWER may not read: 180 FORBIDDEN, 100 told.
        assert response.codes == ["FORBIDDEN"] * 100, attempt
        assert response.body["extensions"]["errorsOmitted"] == 80, attempt


async def test_validation_errors_are_capped_as_well(gql: GraphQLClient) -> None:
    query = "{ " + " ".join(f"unknown{i}" for i in range(150)) + " }"
    response = await gql(query)
    assert response.status == 400
    assert len(response.errors) == 100
    assert response.body["extensions"]["errorsOmitted"] >= 1
    assert set(response.codes) == {"BAD_REQUEST"}
