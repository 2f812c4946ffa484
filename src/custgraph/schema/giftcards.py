"""Gift cards held by a customer."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import strawberry
from strawberry.types import Info

from custgraph.auth.permissions import Permission
from custgraph.schema.global_id import encode_global_id
from custgraph.schema.money import Money
from custgraph.schema.node import Node
from custgraph.schema.permissions import may


@strawberry.type(description="A gift card issued to a customer.")
class GiftCard(Node):
    customer_id: strawberry.Private[int]
    full_code: strawberry.Private[str]
    initial_balance: Money = strawberry.field(description="Value when issued.")
    balance: Money = strawberry.field(description="Value left.")
    currency: str = strawberry.field(description="ISO 4217 currency of the card.")
    expires_on: date | None = strawberry.field(description="Last day the card can be used.")
    is_active: bool = strawberry.field(description="False once deactivated.")
    message: str | None = strawberry.field(description="Message sent with the card.")
    created_at: datetime = strawberry.field(description="When the card was issued.")

    @strawberry.field(
        description="The card's code: in full with `giftcards:write`, "
        "else its last four characters."
    )
    def code(self, info: Info) -> str:
        return shown_code(self.full_code, may(info, Permission.GIFTCARDS_WRITE, self.customer_id))

    @classmethod
    def from_row(cls, row: Any) -> GiftCard:
        return cls(
            id=strawberry.ID(encode_global_id("GiftCard", row.id)),
            customer_id=row.customer_id,
            full_code=row.code,
            initial_balance=Money(amount=row.initial_balance, currency=row.currency),
            balance=Money(amount=row.balance, currency=row.currency),
            currency=row.currency,
            expires_on=row.expires_on,
            is_active=row.is_active,
            message=row.message,
            created_at=row.created_at,
        )


def shown_code(code: str, in_full: bool) -> str:
    """A card's code as a reader sees it: in full, or its last four characters. The
    compiled read path says the same in SQL too (fastpath/rows.py)."""
    return code if in_full else code[-4:]
