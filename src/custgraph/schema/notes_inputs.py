"""The inputs and payloads of writing, changing and deleting staff notes on a customer."""

from __future__ import annotations

import strawberry

# The resolvers build this module's payloads, so each side imports the other as a
# module (never names from it), which works in either import order.
from custgraph.schema.customer import Customer
from custgraph.schema.idempotency import idempotency_key_field
from custgraph.schema.notes import Note
from custgraph.schema.user_errors import UserError

_EXPECTED_VERSION = "The customer's version you read; CONFLICT when stale."


@strawberry.input(description="A new note on a customer.")
class CustomerNoteAddInput:
    customer_id: strawberry.ID = strawberry.field(description="The customer.")
    body: str = strawberry.field(description="The note's text, 1 to 5000 characters.")
    expected_version: int | None = strawberry.field(default=None, description=_EXPECTED_VERSION)
    idempotency_key: str | None = idempotency_key_field()


@strawberry.type(description="The result of `customerNoteAdd`.")
class CustomerNoteAddPayload:
    customer: Customer | None = strawberry.field(description="The customer, version bumped.")
    note: Note | None = strawberry.field(description="The new note.")
    user_errors: list[UserError] = strawberry.field(description="Why the note was refused.")


@strawberry.input(description="New text for a note; its author stays the same.")
class CustomerNoteUpdateInput:
    note_id: strawberry.ID = strawberry.field(description="The note.")
    body: str = strawberry.field(description="The note's new text, 1 to 5000 characters.")
    expected_version: int | None = strawberry.field(default=None, description=_EXPECTED_VERSION)
    idempotency_key: str | None = idempotency_key_field()


@strawberry.type(description="The result of `customerNoteUpdate`.")
class CustomerNoteUpdatePayload:
    customer: Customer | None = strawberry.field(description="The note's customer.")
    note: Note | None = strawberry.field(description="The note as changed.")
    user_errors: list[UserError] = strawberry.field(description="Why the change was refused.")


@strawberry.input(description="The note to delete.")
class CustomerNoteDeleteInput:
    note_id: strawberry.ID = strawberry.field(description="The note.")
    expected_version: int | None = strawberry.field(default=None, description=_EXPECTED_VERSION)
    idempotency_key: str | None = idempotency_key_field()


@strawberry.type(description="The result of `customerNoteDelete`.")
class CustomerNoteDeletePayload:
    customer: Customer | None = strawberry.field(description="The note's customer.")
    deleted_note_id: strawberry.ID | None = strawberry.field(
        description="The id the deleted note had."
    )
    user_errors: list[UserError] = strawberry.field(description="Why deletion was refused.")
