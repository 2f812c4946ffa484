"""Loyalty points and store credit ledger entries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from custgraph.schema.actor import Actor
from custgraph.schema.global_id import encode_global_id
from custgraph.schema.money import Money
from custgraph.schema.node import Node


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
        return cls(
            id=strawberry.ID(encode_global_id("PointsEntry", row.id)),
            customer_id=row.customer_id,
            delta=row.delta,
            balance_after=row.balance_after,
            reason=row.reason,
            source=row.source,
            created_at=row.created_at,
            actor=Actor.from_row(row),
        )


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
        return cls(
            id=strawberry.ID(encode_global_id("CreditEntry", row.id)),
            customer_id=row.customer_id,
            amount=Money(amount=row.amount, currency=row.currency),
            balance_after=Money(amount=row.balance_after, currency=row.currency),
            reason=row.reason,
            created_at=row.created_at,
            actor=Actor.from_row(row),
        )
