"""Loyalty points and store credit ledger entries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from custgraph.db import models
from custgraph.schema.actor import Actor
from custgraph.schema.money import Money
from custgraph.schema.node import Node
from custgraph.schema.row_fields import Env, RowFields, global_id, row_money


@strawberry.type(description="One movement of loyalty points.")
class PointsEntry(Node):
    customer_id: strawberry.Private[int]
    delta: int = strawberry.field(description="Points added (positive) or taken (negative).")
    balance_after: int = strawberry.field(description="Balance after this entry.")
    reason: str = strawberry.field(description="Why the points moved.")
    source: str = strawberry.field(description="ORDER, ADJUSTMENT, PROMOTION, REDEMPTION, MERGE…")
    created_at: datetime = strawberry.field(description="When the entry was written.")
    actor: Actor = strawberry.field(description="Who moved the points.")

    @classmethod
    def from_row(cls, row: Any) -> PointsEntry:
        return _points_entry_from_row(row)


def _actor(row: Any, env: Env) -> Actor:
    return Actor.from_row(row)


POINTS_ENTRY_ROW = RowFields(
    "PointsEntry",
    models.PointsEntry.__table__,
    computed={"id": global_id("PointsEntry"), "actor": _actor},
)
_points_entry_from_row = POINTS_ENTRY_ROW.from_row_of(PointsEntry)


@strawberry.type(description="One movement of store credit.")
class CreditEntry(Node):
    customer_id: strawberry.Private[int]
    amount: Money = strawberry.field(description="Credit added (positive) or taken (negative).")
    balance_after: Money = strawberry.field(description="Balance after this entry.")
    reason: str = strawberry.field(description="Why the credit moved.")
    created_at: datetime = strawberry.field(description="When the entry was written.")
    actor: Actor = strawberry.field(description="Who moved the credit.")

    @classmethod
    def from_row(cls, row: Any) -> CreditEntry:
        return _credit_entry_from_row(row)


CREDIT_ENTRY_ROW = RowFields(
    "CreditEntry",
    models.CreditEntry.__table__,
    computed={
        "id": global_id("CreditEntry"),
        "amount": row_money("amount"),
        "balance_after": row_money("balance_after"),
        "actor": _actor,
    },
)
_credit_entry_from_row = CREDIT_ENTRY_ROW.from_row_of(CreditEntry)
