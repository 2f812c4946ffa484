"""What a query costs, from the page sizes it asks for (as Shopify and GitHub count)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    is_leaf_type,
)

DEFAULT_PAGE_SIZE = 20
# A plain list (addresses, gift cards) is small and bounded; it counts as this many items.
PLAIN_LIST_ITEMS = 5
PAGE_ITEM_FIELDS = frozenset({"edges", "nodes"})


def query_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation: OperationDefinitionNode,
    variables: Mapping[str, Any] | None,
) -> int:
    """The cost of `operation`: 1 per object field (scalars 0); a connection's
    `first`/`last` (default 20) multiplies what is under it, a plain list counts 5 items.

    Runs on a validated document; every fragment spread is counted where it is used.
    """
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    root = schema.get_root_type(operation.operation)
    if root is None:
        return 0
    # A variable the request leaves out takes its declared default.
    values: dict[str, Any] = {
        d.variable.name.value: int(d.default_value.value)
        for d in operation.variable_definitions or ()
        if isinstance(d.default_value, IntValueNode)
    }
    values.update(variables or {})
    return _CostWalker(schema, fragments, values).selections(operation.selection_set, root)


class _CostWalker:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: dict[str, FragmentDefinitionNode],
        variables: Mapping[str, Any],
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables

    def selections(self, selection_set: SelectionSetNode, parent: GraphQLNamedType) -> int:
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self.field(selection, parent)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                on = self.schema.get_type(condition.name.value) if condition else parent
                total += self.selections(selection.selection_set, on or parent)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments.get(selection.name.value)
                if fragment is not None:
                    on = self.schema.get_type(fragment.type_condition.name.value)
                    total += self.selections(fragment.selection_set, on or parent)
        return total

    def field(self, node: FieldNode, parent: GraphQLNamedType) -> int:
        if not isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
            return 0
        definition = parent.fields.get(node.name.value)
        if definition is None or node.selection_set is None:
            return 0
        named = get_named_type(definition.type)
        if is_leaf_type(named):
            return 0
        below = self.selections(node.selection_set, named)
        if named.name.endswith("Connection"):
            return 1 + self.page_size(node) * below
        if _is_list(definition.type) and not (
            parent.name.endswith("Connection") and node.name.value in PAGE_ITEM_FIELDS
        ):
            # Items of a connection are already counted by its page size.
            return 1 + PLAIN_LIST_ITEMS * below
        return 1 + below

    def page_size(self, node: FieldNode) -> int:
        arguments = {a.name.value: a.value for a in node.arguments or ()}
        for name in ("first", "last"):
            value = arguments.get(name)
            if isinstance(value, IntValueNode):
                return max(int(value.value), 0)
            if isinstance(value, VariableNode):
                given = self.variables.get(value.name.value)
                if isinstance(given, int) and not isinstance(given, bool):
                    return max(given, 0)
        return DEFAULT_PAGE_SIZE


def _is_list(type_: GraphQLOutputType) -> bool:
    if isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    return isinstance(type_, GraphQLList)
