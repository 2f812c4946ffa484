"""Staff notes on a customer."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from custgraph.db import models
from custgraph.schema.actor import Actor
from custgraph.schema.node import Node
from custgraph.schema.row_fields import RowFields, global_id


@strawberry.type(description="A note staff wrote about a customer.")
class Note(Node):
    customer_id: strawberry.Private[int]
    body: str = strawberry.field(description="The note's text.")
    author: Actor = strawberry.field(description="Who wrote the note.")
    created_at: datetime = strawberry.field(description="When the note was written.")
    updated_at: datetime = strawberry.field(description="When the note was last changed.")

    @classmethod
    def from_row(cls, row: Any) -> Note:
        return _note_from_row(row)


NOTE_ROW = RowFields(
    "Note",
    models.Note.__table__,
    computed={"id": global_id("Note"), "author": lambda row, env: Actor.from_row(row)},
)
_note_from_row = NOTE_ROW.from_row_of(Note)
