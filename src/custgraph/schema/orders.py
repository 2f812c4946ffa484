"""Orders a customer placed, with their lines."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry.types import Info

from custgraph.db import models
from custgraph.schema.enums import OrderState
from custgraph.schema.money import Money
from custgraph.schema.node import Node
from custgraph.schema.row_fields import RowFields, global_id, row_money


@strawberry.type(description="A line of an order.")
class OrderLine:
    sku: str = strawberry.field(description="Stock keeping unit.")
    name: str = strawberry.field(description="Product name at the time of the order.")
    quantity: int = strawberry.field(description="Units ordered.")
    unit_price: Money = strawberry.field(description="Price of one unit.")
    total: Money = strawberry.field(description="Quantity times unit price.")


@strawberry.type(description="An order placed by a customer.")
class Order(Node):
    db_id: strawberry.Private[int]
    customer_id: strawberry.Private[int]
    reference: str = strawberry.field(description="Order reference, e.g. `ORD-1042`.")
    state: OrderState = strawberry.field(description="Where the order stands.")
    placed_at: datetime = strawberry.field(description="When the order was placed.")
    grand_total: Money = strawberry.field(description="Total charged, taxes included.")
    item_count: int = strawberry.field(description="Number of items.")
    currency: str = strawberry.field(description="ISO 4217 currency of the order.")

    @strawberry.field(description="The order's lines.")
    async def lines(self, info: Info) -> list[OrderLine]:
        rows = await info.context.loaders.order_lines.load(self.db_id)
        return [
            OrderLine(
                sku=r.sku,
                name=r.name,
                quantity=r.quantity,
                unit_price=Money(amount=r.unit_price, currency=self.currency),
                total=Money(amount=r.total, currency=self.currency),
            )
            for r in rows
        ]

    @classmethod
    def from_row(cls, row: Any) -> Order:
        return _order_from_row(row)


ORDER_ROW = RowFields(
    "Order",
    models.Order.__table__,
    computed={"id": global_id("Order"), "grand_total": row_money("grand_total")},
    renamed={"db_id": "id"},
    enums={"state": OrderState},
)
_order_from_row = ORDER_ROW.from_row_of(Order)
