"""Selections built from the schema itself: every field of a type, its objects' and
connections' fields too, so that a field added to the schema is in the equivalence tests
(tests/api/test_fast_path.py) without anyone typing it there."""

from __future__ import annotations

from graphql import (
    GraphQLEnumType,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    GraphQLSchema,
    get_named_type,
)

CONNECTION_ARGUMENTS = frozenset({"first", "after", "last", "before"})
PAGE_INFO = "pageInfo { __typename hasNextPage hasPreviousPage startCursor endCursor }"


def is_connection(type_: GraphQLOutputType) -> bool:
    named = get_named_type(type_)
    return isinstance(named, GraphQLObjectType) and "edges" in named.fields


def every_field(
    schema: GraphQLSchema,
    type_name: str,
    leave_out: frozenset[tuple[str, str]] = frozenset(),
    page: int = 3,
) -> str:
    """A selection of every field of `type_name` but `leave_out`'s, to any depth.

    A field taking arguments other than a connection's has no selection that would stand
    for it here: it is refused with an error that names it (leave it out, or teach this).
    """
    named = schema.type_map[type_name]
    assert isinstance(named, GraphQLObjectType)
    return _selection(schema, named, leave_out, page, (type_name,))


def one_field(schema: GraphQLSchema, type_name: str, field_name: str, page: int = 3) -> str:
    """The selection of one field of `type_name`, with every field under it."""
    named = schema.type_map[type_name]
    assert isinstance(named, GraphQLObjectType)
    return _field(schema, named, field_name, frozenset(), page, (type_name,))


def _selection(
    schema: GraphQLSchema,
    type_: GraphQLObjectType,
    leave_out: frozenset[tuple[str, str]],
    page: int,
    path: tuple[str, ...],
) -> str:
    parts = ["__typename"]
    for name in type_.fields:
        if (type_.name, name) not in leave_out:
            parts.append(_field(schema, type_, name, leave_out, page, path))
    return " ".join(parts)


def _scalars(type_: GraphQLObjectType) -> str:
    names = [
        name
        for name, field in type_.fields.items()
        if isinstance(get_named_type(field.type), GraphQLScalarType | GraphQLEnumType)
        and not field.args
    ]
    return " ".join(["__typename", *names])


def _field(
    schema: GraphQLSchema,
    type_: GraphQLObjectType,
    name: str,
    leave_out: frozenset[tuple[str, str]],
    page: int,
    path: tuple[str, ...],
) -> str:
    field = type_.fields[name]
    target = get_named_type(field.type)
    arguments = set(field.args)
    if isinstance(target, GraphQLScalarType | GraphQLEnumType):
        if arguments:
            raise ValueError(f"{type_.name}.{name} takes arguments: leave it out")
        return name
    assert isinstance(target, GraphQLObjectType), f"{type_.name}.{name}: abstract type"
    if is_connection(field.type):
        if not arguments <= CONNECTION_ARGUMENTS:
            raise ValueError(f"{type_.name}.{name} takes {arguments}: leave it out")
        node = get_named_type(target.fields["nodes"].type)
        assert isinstance(node, GraphQLObjectType)
        inner = (
            _scalars(node)
            if node.name in path
            else _selection(schema, node, leave_out, page, (*path, node.name))
        )
        return (
            f"{name}(first: {page}) {{ __typename totalCount {PAGE_INFO} "
            f"edges {{ __typename cursor node {{ {inner} }} }} nodes {{ {inner} }} }}"
        )
    if arguments:
        raise ValueError(f"{type_.name}.{name} takes arguments: leave it out")
    if target.name in path:  # back to a type above (a customer's mergedInto): its scalars
        return f"{name} {{ {_scalars(target)} }}"
    return f"{name} {{ {_selection(schema, target, leave_out, page, (*path, target.name))} }}"
