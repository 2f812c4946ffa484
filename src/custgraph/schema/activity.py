"""The activity log and the messages sent to a customer."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry.types import Info

from custgraph.auth.permissions import Permission
from custgraph.global_id import encode_global_id
from custgraph.schema.actor import Actor
from custgraph.schema.enums import DeliveryStatus, NotificationChannel
from custgraph.schema.node import Node
from custgraph.schema.permissions import may

# Fields whose values in the activity log are personal data.
PII_FIELDS = frozenset(
    {"email", "phone", "dateOfBirth", "idDocument", "idDocumentNumber", "mfaPhone", "password"}
)
MASK = "•••"


@strawberry.type(description="One field's change recorded in the activity log.")
class FieldChange:
    field: str = strawberry.field(description="The field's name as in `Customer`.")
    old_value: str | None = strawberry.field(description="Value before (masked if PII).")
    new_value: str | None = strawberry.field(description="Value after (masked if PII).")


@strawberry.type(description="An entry of a customer's activity log: who did what, when.")
class CustomerEvent(Node):
    customer_id: strawberry.Private[int]
    raw_changes: strawberry.Private[list[dict[str, Any]]]
    type: str = strawberry.field(description="What happened, e.g. `CUSTOMER_UPDATED`.")
    message: str = strawberry.field(description="A human-readable summary.")
    actor: Actor = strawberry.field(description="Who did it.")
    created_at: datetime = strawberry.field(description="When it happened.")

    @strawberry.field(
        description="Changed fields with old and new values; PII values are masked "
        "unless the reader has `customers:read_pii`."
    )
    def changes(self, info: Info) -> list[FieldChange]:
        show_pii = may(info, Permission.CUSTOMERS_READ_PII, self.customer_id)
        result = []
        for change in self.raw_changes:
            hidden = change["field"] in PII_FIELDS and not show_pii
            old, new = change.get("old"), change.get("new")
            result.append(
                FieldChange(
                    field=change["field"],
                    old_value=MASK if hidden and old is not None else old,
                    new_value=MASK if hidden and new is not None else new,
                )
            )
        return result

    @classmethod
    def from_row(cls, row: Any) -> CustomerEvent:
        return cls(
            id=strawberry.ID(encode_global_id("CustomerEvent", row.id)),
            customer_id=row.customer_id,
            raw_changes=row.changes or [],
            type=row.type,
            message=row.message,
            actor=Actor.from_row(row),
            created_at=row.created_at,
        )


@strawberry.type(description="A message sent (or to be sent) to a customer.")
class Notification(Node):
    customer_id: strawberry.Private[int]
    raw_recipient: strawberry.Private[str | None]
    channel: NotificationChannel = strawberry.field(description="Email, SMS or push.")
    kind: str = strawberry.field(description="What the message is, e.g. `PASSWORD_RESET`.")
    subject: str | None = strawberry.field(description="Subject or title.")
    status: DeliveryStatus = strawberry.field(description="Whether it was delivered.")
    attempts: int = strawberry.field(description="Delivery attempts so far.")
    error: str | None = strawberry.field(description="Last delivery error, if any.")
    created_at: datetime = strawberry.field(description="When it was queued.")
    sent_at: datetime | None = strawberry.field(description="When it was delivered.")

    @strawberry.field(
        description="Address or number it went to; masked without `customers:read_pii`."
    )
    def recipient(self, info: Info) -> str | None:
        if self.raw_recipient is None:
            return None
        if may(info, Permission.CUSTOMERS_READ_PII, self.customer_id):
            return self.raw_recipient
        return MASK

    @classmethod
    def from_row(cls, row: Any) -> Notification:
        return cls(
            id=strawberry.ID(encode_global_id("Notification", row.id)),
            customer_id=row.customer_id,
            raw_recipient=row.recipient,
            channel=NotificationChannel(row.channel),
            kind=row.kind,
            subject=row.subject,
            status=DeliveryStatus(row.status),
            attempts=row.attempts,
            error=row.error,
            created_at=row.created_at,
            sent_at=row.sent_at,
        )
