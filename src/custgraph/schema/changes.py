"""The change feed partners sync from: every change to a customer, in commit order."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import strawberry
from strawberry.types import Info

from custgraph.domain.change_payloads import visible_details
from custgraph.global_id import encode_global_id
from custgraph.schema.activity import FieldChange
from custgraph.schema.customer import Customer


@strawberry.type(
    description="One change to a customer, numbered in the order changes were committed."
)
class CustomerChange:
    customer_key: strawberry.Private[int | None]
    sequence: str = strawberry.field(
        description="Its place in the feed (a whole number as text): pass it as `after` "
        "to read on from here."
    )
    type: str = strawberry.field(
        description="`customer.created`, `customer.updated`, `customer.status_changed`, "
        "`customer.email_changed`, `customer.merged`, `customer.erased`, "
        "`customer.deleted`, `points.adjusted`, `credit.adjusted` or `gift_card.issued`."
    )
    customer_id: strawberry.ID = strawberry.field(description="The changed customer's id.")
    customer_version: int | None = strawberry.field(
        description="The customer's `version` once changed; null for a deletion."
    )
    changed_fields: list[str] = strawberry.field(
        description="The changed fields, by their `Customer` names (relations such as "
        "`addresses` or `notes` by theirs)."
    )
    details: list[FieldChange] = strawberry.field(
        description="Old and new values of the changed fields that hold no personal data "
        "and that the caller may read; the rest are fetched through `customer`."
    )
    occurred_at: datetime = strawberry.field(description="When the change was committed.")

    @strawberry.field(description="The customer as it is now; null once deleted.")
    async def customer(self, info: Info) -> Customer | None:
        if self.customer_key is None:
            return None
        row = await info.context.loaders.customer.load(self.customer_key)
        return Customer.from_row(row, info.context.settings.currency) if row else None

    @classmethod
    def from_row(cls, row: Any, can: Callable[[Any], bool]) -> CustomerChange:
        details = visible_details(row.details or {}, can)
        return cls(
            customer_key=None if row.type == "customer.deleted" else row.customer_id,
            sequence=str(row.sequence),
            type=row.type,
            customer_id=strawberry.ID(encode_global_id("Customer", row.customer_id)),
            customer_version=row.customer_version,
            changed_fields=list(row.fields or ()),
            details=[
                FieldChange(field=name, old_value=value.get("old"), new_value=value.get("new"))
                for name, value in details.items()
            ],
            occurred_at=row.occurred_at,
        )
