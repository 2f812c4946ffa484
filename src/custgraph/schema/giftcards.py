"""Gift cards held by a customer."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import strawberry
from strawberry.types import Info

from custgraph.auth.permissions import Permission
from custgraph.db import models
from custgraph.schema.money import Money
from custgraph.schema.node import Node
from custgraph.schema.permissions import may
from custgraph.schema.row_fields import Env, RowFields, global_id, row_money


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
        return _gift_card_from_row(row)


def _shown_code(row: Any, env: Env) -> str:
    return shown_code(row.code, Permission.GIFTCARDS_WRITE in env.permissions)


# The same rule in SQL, for the JSON PostgreSQL writes (fastpath/json_render.py).
_shown_code.sql = lambda alias, env: (  # type: ignore[attr-defined]
    f"{alias}.code" if Permission.GIFTCARDS_WRITE in env.permissions else f"right({alias}.code, 4)"
)

GIFT_CARD_ROW = RowFields(
    "GiftCard",
    models.GiftCard.__table__,
    computed={
        "id": global_id("GiftCard"),
        "initial_balance": row_money("initial_balance"),
        "balance": row_money("balance"),
    },
    renamed={"full_code": "code"},
    # The general path's `code` resolver applies the same rule (`shown_code`).
    compiled_only={"code": _shown_code},
)
_gift_card_from_row = GIFT_CARD_ROW.from_row_of(GiftCard)


def shown_code(code: str, in_full: bool) -> str:
    """A card's code as a reader sees it: in full, or its last four characters. The
    compiled read path says the same in SQL too (`_shown_code.sql` below)."""
    return code if in_full else code[-4:]
