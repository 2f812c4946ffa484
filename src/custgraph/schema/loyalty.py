"""Memberships in loyalty and club programmes."""

from __future__ import annotations

from datetime import date
from typing import Any

import strawberry

from custgraph.global_id import encode_global_id
from custgraph.schema.node import Node


@strawberry.type(description="A customer's membership in a loyalty or club programme.")
class Membership(Node):
    customer_id: strawberry.Private[int]
    program: str = strawberry.field(description="The programme, e.g. `Club`.")
    tier: str | None = strawberry.field(description="Tier within the programme.")
    number: str | None = strawberry.field(description="Membership number.")
    started_on: date = strawberry.field(description="First day of membership.")
    ends_on: date | None = strawberry.field(description="Last day, if limited.")
    is_active: bool = strawberry.field(description="Whether the membership is current.")

    @classmethod
    def from_row(cls, row: Any) -> Membership:
        return cls(
            id=strawberry.ID(encode_global_id("Membership", row.id)),
            customer_id=row.customer_id,
            program=row.program,
            tier=row.tier,
            number=row.number,
            started_on=row.started_on,
            ends_on=row.ends_on,
            is_active=row.is_active,
        )
