"""Validation outcomes remembered per parsed document (schema/validation_cache.py)."""

from __future__ import annotations

from tests.support.client import GraphQLClient

VALID = "query Valid { customers(first: 1) { totalCount } }"
INVALID = "query Invalid { customers(first: 1) { noSuchField } }"
ELSEWHERE = "query Other { customers(first: 1) { nodes { id noSuchField } } }"


async def test_each_document_keeps_its_own_outcome(gql: GraphQLClient) -> None:
    for _ in range(3):
        assert (await gql(VALID)).ok()["customers"]["totalCount"] > 0
        invalid = await gql(INVALID)
        assert invalid.codes == ["BAD_REQUEST"]
        assert "noSuchField" in invalid.errors[0]["message"]
        other = await gql(ELSEWHERE)
        assert other.codes == ["BAD_REQUEST"]
        assert other.errors[0]["locations"] != invalid.errors[0]["locations"]
