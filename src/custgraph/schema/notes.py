"""Staff notes on a customer."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from custgraph.schema.actor import Actor
from custgraph.schema.global_id import encode_global_id
from custgraph.schema.node import Node


@strawberry.type(description="A note staff wrote about a customer.")
class Note(Node):
    customer_id: strawberry.Private[int]
    body: str = strawberry.field(description="The note's text.")
    author: Actor = strawberry.field(description="Who wrote the note.")
    created_at: datetime = strawberry.field(description="When the note was written.")
    updated_at: datetime = strawberry.field(description="When the note was last changed.")

    @classmethod
    def from_row(cls, row: Any) -> Note:
        return cls(
            id=strawberry.ID(encode_global_id("Note", row.id)),
            customer_id=row.customer_id,
            body=row.body,
            author=Actor.from_row(row),
            created_at=row.created_at,
            updated_at=row.updated_at,
        )
