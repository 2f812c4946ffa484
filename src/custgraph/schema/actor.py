"""Who did something: the author of notes, ledger entries and events."""

from __future__ import annotations

from typing import Any

import strawberry

from custgraph.global_id import encode_global_id
from custgraph.schema.enums import ActorKind

_NODE_TYPE = {"STAFF": "StaffUser", "API_KEY": "ApiKey", "CUSTOMER": "Customer"}


@strawberry.type(description="Who did something, as recorded at the time.")
class Actor:
    kind: ActorKind = strawberry.field(description="Staff user, API key, customer or system.")
    id: strawberry.ID | None = strawberry.field(
        description="Global id of the staff user, API key or customer; null for the system."
    )
    name: str = strawberry.field(description="Name at the time of the action.")

    @classmethod
    def from_row(cls, row: Any) -> Actor:
        type_name = _NODE_TYPE.get(row.actor_type)
        actor_id = row.actor_id
        return cls(
            kind=ActorKind(row.actor_type),
            id=strawberry.ID(encode_global_id(type_name, actor_id))
            if type_name and actor_id is not None
            else None,
            name=row.actor_label,
        )
