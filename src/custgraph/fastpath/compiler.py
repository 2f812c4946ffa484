"""Turn a validated query into a plan for one permission set, or say it cannot be compiled.

What compiles: `customer(id:)` and `customers(...)` with any selection of the customer's
data fields, its addresses, gift cards and newest-first connections (orders, points,
credit, notes), their Money and Actor objects, `__typename`, fragments and aliases.
Anything else (other root fields, mutations, directives, relations without a batched
plan here) raises NotCompilable and the request takes the general path.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLEnumType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
)
from strawberry.permission import PermissionExtension
from strawberry.schema import Schema

from custgraph.fastpath.codegen import compile_builder
from custgraph.fastpath.json_level import write_relations_in_sql
from custgraph.fastpath.plan import (
    CONNECTION_TYPENAME,
    EDGES,
    NODES,
    PAGE_INFO,
    TOTAL_COUNT,
    Child,
    ConnectionPlan,
    EdgePlan,
    FieldPlan,
    Forbidden,
    Leaf,
    Loaded,
    ObjectPlan,
    Typename,
)
from custgraph.fastpath.relations import NewestFirst, RowList
from custgraph.fastpath.rows import COMPUTED, LAYOUTS, ROW_TYPES, Accessor, Env, column_reader
from custgraph.schema.permissions import Needs
from custgraph.schema.row_fields import NewestFirst as DeclaredNewestFirst
from custgraph.schema.row_fields import RowList as DeclaredRowList
from custgraph.schema.row_fields import relation_of


class NotCompilable(Exception):
    """The general path serves this operation."""


# Fields left to the general path (resolvers of their own: a batched plan here would be a
# second copy of them). Any other field the compiler cannot compile is a gap that
# tests/api/test_fast_path.py reports: it selects every field of the schema but these.
GENERAL_PATH_ONLY = frozenset(
    {
        ("Customer", "events"),
        ("Customer", "notifications"),
        ("Customer", "memberships"),
        ("Customer", "customFields"),
        ("Customer", "salesRep"),
        ("Customer", "mergedInto"),
        ("Order", "lines"),
    }
)


def _attribute(name: str) -> Accessor:
    def read(source: Any, env: Env) -> Any:
        return getattr(source, name)

    read.attribute = name  # type: ignore[attr-defined]
    return read


class Compiler:
    def __init__(
        self, schema: Schema, document: DocumentNode, env: Env, json_in_sql: bool = False
    ) -> None:
        self.schema = schema
        # PostgreSQL writes plain relations as JSON (json_level.py).
        self.json_in_sql = json_in_sql
        self.graphql = schema._schema
        self.env = env
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }

    # -- selections -------------------------------------------------------------------

    def collect(
        self, selection_sets: list[SelectionSetNode], type_: GraphQLObjectType
    ) -> dict[str, list[FieldNode]]:
        """Fields by response key in first-seen order, fragments applied (the spec's
        CollectFields for an object type, without @skip/@include)."""
        fields: dict[str, list[FieldNode]] = {}
        for selection_set in selection_sets:
            self._collect(selection_set, type_, fields, set())
        return fields

    def _collect(
        self,
        selection_set: SelectionSetNode,
        type_: GraphQLObjectType,
        fields: dict[str, list[FieldNode]],
        visited: set[str],
    ) -> None:
        for selection in selection_set.selections:
            if selection.directives:
                raise NotCompilable("directives")
            if isinstance(selection, FieldNode):
                key = selection.alias.value if selection.alias else selection.name.value
                fields.setdefault(key, []).append(selection)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                if condition is None or self._applies(condition.name.value, type_):
                    self._collect(selection.selection_set, type_, fields, visited)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if name in visited or fragment is None:
                    continue
                visited.add(name)
                if self._applies(fragment.type_condition.name.value, type_):
                    self._collect(fragment.selection_set, type_, fields, visited)

    def _applies(self, condition: str, type_: GraphQLObjectType) -> bool:
        return condition == type_.name or any(i.name == condition for i in type_.interfaces)

    @staticmethod
    def sub_selections(nodes: list[FieldNode]) -> list[SelectionSetNode]:
        return [n.selection_set for n in nodes if n.selection_set is not None]

    # -- objects ----------------------------------------------------------------------

    def object_plan(
        self, type_: GraphQLObjectType, selection_sets: list[SelectionSetNode]
    ) -> ObjectPlan:
        plans: list[FieldPlan] = []
        for key, nodes in self.collect(selection_sets, type_).items():
            plans.append(self.field_plan(type_, key, nodes))
        plan = ObjectPlan(type_.name, plans)
        if self.json_in_sql:
            write_relations_in_sql(plan, self.env)
        plan.build = compile_builder(plan)
        return plan

    def field_plan(self, type_: GraphQLObjectType, key: str, nodes: list[FieldNode]) -> FieldPlan:
        name = nodes[0].name.value
        if name == "__typename":
            return Typename(key, type_.name)
        if name.startswith("__"):
            raise NotCompilable("introspection")
        definition = type_.fields[name]
        field = self.schema.get_field_for_type(name, type_.name)
        if field is None:
            raise NotCompilable(name)
        refusal = self._refusal(field, key, nodes)
        if refusal is not None:
            return refusal
        if (type_.name, name) in GENERAL_PATH_ONLY:
            raise NotCompilable(f"{type_.name}.{name} is answered by the general path")
        declared = relation_of(field)
        if isinstance(declared, DeclaredRowList):
            target = _object_type(definition.type)
            plan = self.object_plan(target, self.sub_selections(nodes))
            return Loaded(key, RowList(key, declared.loader, plan, declared.pick))
        if isinstance(declared, DeclaredNewestFirst):
            target = _object_type(definition.type)
            connection = self.connection_plan(target, self.sub_selections(nodes))
            return Loaded(
                key, NewestFirst(key, declared.relation, definition, nodes[0], connection)
            )
        if definition.args:
            raise NotCompilable(f"{type_.name}.{name} takes arguments")
        computed = COMPUTED.get(type_.name, {}).get(name)
        if computed is not None:
            read = computed
        elif field.base_resolver is not None:
            raise NotCompilable(f"{type_.name}.{name} has a resolver")
        elif type_.name in ROW_TYPES:
            if field.python_name not in LAYOUTS[type_.name]:
                raise NotCompilable(f"{type_.name}.{name} is not a column")
            read = column_reader(type_.name, field.python_name)
        else:
            read = _attribute(field.python_name)
        return self.value_plan(key, read, definition.type, nodes)

    def _refusal(self, field: Any, key: str, nodes: list[FieldNode]) -> Forbidden | None:
        for extension in field.extensions:
            if not isinstance(extension, PermissionExtension):
                raise NotCompilable("field extension")
            for permission in extension.permissions:
                if not isinstance(permission, Needs):
                    raise NotCompilable("permission class")
                if permission.permission not in self.env.permissions:
                    return Forbidden(
                        key,
                        permission.message or "",
                        dict(permission.error_extensions or {}),
                        nodes,
                        deferred=field.base_resolver is not None,
                    )
        return None

    def value_plan(
        self, key: str, read: Accessor, type_: GraphQLOutputType, nodes: list[FieldNode]
    ) -> FieldPlan:
        nullable = not isinstance(type_, GraphQLNonNull)
        inner = type_.of_type if isinstance(type_, GraphQLNonNull) else type_
        if isinstance(inner, GraphQLList):
            item = inner.of_type
            item_nullable = not isinstance(item, GraphQLNonNull)
            named = item.of_type if isinstance(item, GraphQLNonNull) else item
            if item_nullable or not isinstance(named, GraphQLScalarType | GraphQLEnumType):
                raise NotCompilable("list of objects or nullable items")
            serialize_item = _serializer(named)

            def serialize_list(values: Any) -> Any:
                return [serialize_item(v) for v in values]

            return Leaf(key, read, serialize_list, nullable)
        if isinstance(inner, GraphQLScalarType | GraphQLEnumType):
            return Leaf(key, read, _serializer(inner), nullable, inner)
        if isinstance(inner, GraphQLObjectType):
            plan = self.object_plan(inner, self.sub_selections(nodes))
            if plan.loaded:
                raise NotCompilable("relation under a value object")
            return Child(key, read, plan, nullable)
        raise NotCompilable("abstract type")

    # -- connections ------------------------------------------------------------------

    def connection_plan(
        self, type_: GraphQLObjectType, selection_sets: list[SelectionSetNode]
    ) -> ConnectionPlan:
        fields: list[tuple[str, int, Any]] = []
        for key, nodes in self.collect(selection_sets, type_).items():
            name = nodes[0].name.value
            if name == "__typename":
                fields.append((key, CONNECTION_TYPENAME, type_.name))
            elif name == "totalCount":
                fields.append((key, TOTAL_COUNT, None))
            elif name == "nodes":
                node_type = _object_type(type_.fields["nodes"].type)
                plan = self.object_plan(node_type, self.sub_selections(nodes))
                fields.append((key, NODES, plan))
            elif name == "edges":
                fields.append((key, EDGES, self.edge_plan(type_, nodes)))
            elif name == "pageInfo":
                page_info = _object_type(type_.fields["pageInfo"].type)
                selected = self.collect(self.sub_selections(nodes), page_info)
                fields.append((key, PAGE_INFO, [(k, n[0].name.value) for k, n in selected.items()]))
            else:
                raise NotCompilable(f"{type_.name}.{name}")
        return ConnectionPlan(type_.name, fields)

    def edge_plan(self, connection: GraphQLObjectType, nodes: list[FieldNode]) -> EdgePlan:
        edge_type = _object_type(connection.fields["edges"].type)
        parts: list[tuple[str, str, Any]] = []
        for key, edge_nodes in self.collect(self.sub_selections(nodes), edge_type).items():
            name = edge_nodes[0].name.value
            if name == "node":
                node_type = _object_type(edge_type.fields["node"].type)
                parts.append(
                    (key, "node", self.object_plan(node_type, self.sub_selections(edge_nodes)))
                )
            elif name == "cursor":
                parts.append((key, "cursor", None))
            else:
                parts.append((key, "__typename", edge_type.name))
        return EdgePlan(parts)


def _object_type(type_: GraphQLOutputType) -> GraphQLObjectType:
    while isinstance(type_, GraphQLNonNull | GraphQLList):
        type_ = type_.of_type
    if not isinstance(type_, GraphQLObjectType):
        raise NotCompilable("abstract type")
    return type_


_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1


def _serializer(type_: GraphQLScalarType | GraphQLEnumType) -> Any:
    """The leaf type's own serialize, with shortcuts for the values rows hold."""
    serialize = type_.serialize
    if isinstance(type_, GraphQLEnumType):
        # Rows hold the stored value; Strawberry's serialize takes the Python member and
        # searches the values for it. The same names, looked up in one step.
        names: dict[Any, Any] = {}
        for name, value in type_.values.items():
            names[value.value] = name
            names[getattr(value.value, "value", value.value)] = name

        def enum(value: Any) -> Any:
            name = names.get(value)
            return serialize(value) if name is None else name

        return enum
    if type_.name in ("String", "ID", "Boolean"):
        # Only the type's own values pass as they are: a String field's True is "true"
        # (an ID's text passes as it is, its number becomes text).
        kind = bool if type_.name == "Boolean" else str

        def plain(value: Any) -> Any:
            return value if value.__class__ is kind else serialize(value)

        # Values that pass as they are: the generated code (codegen.py) skips the call.
        plain.passes = "{v}.__class__ is " + ("_str" if kind is str else "_bool")  # type: ignore[attr-defined]
        return plain
    if type_.name == "Int":

        def integer(value: Any) -> Any:
            if value.__class__ is int and _INT_MIN <= value <= _INT_MAX:
                return value
            return serialize(value)  # graphql-core's checks and its error

        integer.passes = f"{{v}}.__class__ is _int and {_INT_MIN} <= {{v}} <= {_INT_MAX}"  # type: ignore[attr-defined]
        return integer
    return serialize


def query_operation(document: DocumentNode, operation_name: str | None) -> OperationDefinitionNode:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is None:
        if len(operations) != 1:
            raise NotCompilable("operation")
        operation = operations[0]
    else:
        named = [o for o in operations if o.name and o.name.value == operation_name]
        if len(named) != 1:
            raise NotCompilable("operation")
        operation = named[0]
    if operation.operation is not OperationType.QUERY or operation.directives:
        raise NotCompilable("not a query")
    return operation
