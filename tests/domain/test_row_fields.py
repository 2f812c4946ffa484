"""Each row-backed type declares its fields once (schema/row_fields.py): its `from_row` is
generated from the declaration, and the compiled read path takes the same accessors; a
relation field declares the loader its resolver and the compiled plan both use."""

from __future__ import annotations

from collections import namedtuple
from decimal import Decimal
from functools import cached_property

import pytest
import strawberry
from graphql import GraphQLObjectType
from strawberry.schema.schema_converter import GraphQLCoreConverter

from custgraph.db import models
from custgraph.fastpath.rows import COMPUTED, DECLARED_ROWS
from custgraph.global_id import encode_global_id
from custgraph.loaders.registry import PAGED_RELATIONS, Loaders
from custgraph.schema.build import build_schema
from custgraph.schema.enums import OrderState
from custgraph.schema.money import Money
from custgraph.schema.orders import Order
from custgraph.schema.row_fields import NewestFirst, RowFields, global_id, relation_of


def test_a_field_neither_declared_nor_a_column_is_refused() -> None:
    @strawberry.type
    class Thing:
        id: strawberry.ID
        city: str
        nickname: str

    declared = RowFields("Thing", models.Address.__table__, computed={"id": global_id("Thing")})
    with pytest.raises(TypeError, match=r"Thing\.nickname is neither a column"):
        declared.from_row_of(Thing)


def test_from_row_reads_what_the_declaration_says() -> None:
    columns = list(models.Order.__table__.columns.keys())
    Row = namedtuple("Row", columns)  # type: ignore[misc]
    values = {name: None for name in columns} | {
        "id": 7,
        "customer_id": 3,
        "reference": "ORD-7",
        "state": "SHIPPED",
        "grand_total": Decimal("12.50"),
        "currency": "EUR",
        "item_count": 2,
    }
    order = Order.from_row(Row(**values))
    assert order.id == encode_global_id("Order", 7)
    assert order.db_id == 7  # renamed: the row's id
    assert order.state is OrderState.SHIPPED  # an Enum column becomes its Enum
    assert order.grand_total == Money(amount=Decimal("12.50"), currency="EUR")
    assert (order.reference, order.item_count) == ("ORD-7", 2)


def test_every_declared_accessor_is_a_field_of_its_type() -> None:
    types = build_schema()._schema.type_map
    for declared in DECLARED_ROWS:
        fields = types[declared.type_name].fields  # type: ignore[union-attr]
        assert set(COMPUTED[declared.type_name]) <= set(fields), declared.type_name


def test_each_relation_the_compiled_path_batches_is_declared_with_a_loader_there_is() -> None:
    customer = build_schema()._schema.type_map["Customer"]
    assert isinstance(customer, GraphQLObjectType)
    declared = {
        name: relation_of(field.extensions[GraphQLCoreConverter.DEFINITION_BACKREF])
        for name, field in customer.fields.items()
    }
    relations = {name: d for name, d in declared.items() if d is not None}
    assert set(relations) == {
        "addresses",
        "defaultBillingAddress",
        "defaultShippingAddress",
        "giftCards",
        "orders",
        "pointsHistory",
        "creditHistory",
        "notes",
    }
    for name, d in relations.items():
        if isinstance(d, NewestFirst):
            assert d.relation in PAGED_RELATIONS, name
        else:
            assert isinstance(getattr(Loaders, d.loader, None), cached_property), name
