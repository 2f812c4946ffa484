"""Every mutation declares who may call it on its field, and its description says so."""

from __future__ import annotations

from typing import Any

from graphql import GraphQLObjectType
from strawberry.schema.schema_converter import GraphQLCoreConverter

from custgraph.schema.build import build_schema
from custgraph.schema.mutation_access import Access, OwnRecord, access_of
from tests.api.test_permission_matrix import (
    ADDRESS_FIELDS,
    ANYONE,
    ROOT_FIELDS,
    SELF_SERVICE_FIELDS,
    SIGNED_IN,
)


def _mutations() -> dict[str, tuple[Any, Access | None]]:
    mutation_type = build_schema()._schema.mutation_type
    assert isinstance(mutation_type, GraphQLObjectType)
    found = {}
    for name, field in mutation_type.fields.items():
        definition = field.extensions[GraphQLCoreConverter.DEFINITION_BACKREF]
        found[name] = (field, access_of(definition))
    return found


def test_every_mutation_is_declared_with_its_access() -> None:
    undeclared = [name for name, (_, access) in _mutations().items() if access is None]
    assert undeclared == [], "declare these with custgraph.schema.mutation_access.mutation"


def test_each_mutation_description_names_the_permission_it_checks() -> None:
    for name, (field, access) in _mutations().items():
        assert access is not None
        if access.permission is not None:
            assert f"Requires `{access.permission.value}`" in field.description, name
        else:
            assert "Requires `" not in field.description, name


def test_the_declarations_are_the_permission_matrix_rules() -> None:
    """The matrix (tests/api/test_permission_matrix.py) is written by hand from the API
    contract and checked against every kind of caller: each declaration must agree with it."""
    for name, (_, access) in _mutations().items():
        assert access is not None
        rule = ROOT_FIELDS[name]
        if rule == ANYONE:
            assert (access.permission, access.signed_in) == (None, False), name
        elif rule == SIGNED_IN:
            assert (access.permission, access.signed_in) == (None, True), name
        else:
            assert access.permission == rule, name
            own = (
                OwnRecord.BY_CUSTOMER_ID
                if name in SELF_SERVICE_FIELDS
                else OwnRecord.BY_ROW
                if name in ADDRESS_FIELDS
                else OwnRecord.NO
            )
            assert access.own_record is own, name


# Root query fields whose access is not one permission held on all customers: each says why.
QUERY_ROOTS_CHECKED_BY_THEIR_RESOLVER = {
    "node": "each kind of object its own permission, decided per id",
    "nodes": "as node, per id",
    "viewer": "any signed-in caller, who reads themselves",
}


def _query_roots() -> dict[str, tuple[Any, Access | None]]:
    query_type = build_schema()._schema.query_type
    assert isinstance(query_type, GraphQLObjectType)
    return {
        name: (field, access_of(field.extensions[GraphQLCoreConverter.DEFINITION_BACKREF]))
        for name, field in query_type.fields.items()
    }


def test_every_root_query_field_declares_its_permission_or_says_why_not() -> None:
    roots = _query_roots()
    undeclared = {name for name, (_, access) in roots.items() if access is None}
    assert undeclared == set(QUERY_ROOTS_CHECKED_BY_THEIR_RESOLVER), (
        "declare these with custgraph.schema.mutation_access.root_read"
    )


def test_the_root_query_declarations_are_the_permission_matrix_rules() -> None:
    for name, (field, access) in _query_roots().items():
        if access is None:
            continue
        assert access.permission == ROOT_FIELDS[name], name
        # The published SDL of these never named it (schema.graphql stays as it was).
        if name not in ("customer", "customers", "bulkJob"):
            assert f"Requires `{access.permission.value}`" in field.description, name
