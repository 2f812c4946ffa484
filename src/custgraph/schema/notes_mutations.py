"""Mutations of staff notes on customers."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from custgraph.auth.permissions import Permission as P
from custgraph.resolvers import notes
from custgraph.schema.mutation_access import mutation
from custgraph.schema.notes_inputs import (
    CustomerNoteAddInput,
    CustomerNoteAddPayload,
    CustomerNoteDeleteInput,
    CustomerNoteDeletePayload,
    CustomerNoteUpdateInput,
    CustomerNoteUpdatePayload,
)


@strawberry.type(description="Staff notes on customers.")
class NoteMutations:
    @mutation(requires=P.NOTES_WRITE, description="Write a note on a customer.")
    async def customer_note_add(
        self, info: Info, input: CustomerNoteAddInput
    ) -> CustomerNoteAddPayload:
        return await notes.resolve_customer_note_add(info, input)

    @mutation(requires=P.NOTES_WRITE, description="Change a note's text.")
    async def customer_note_update(
        self, info: Info, input: CustomerNoteUpdateInput
    ) -> CustomerNoteUpdatePayload:
        return await notes.resolve_customer_note_update(info, input)

    @mutation(requires=P.NOTES_WRITE, description="Delete a note.")
    async def customer_note_delete(
        self, info: Info, input: CustomerNoteDeleteInput
    ) -> CustomerNoteDeletePayload:
        return await notes.resolve_customer_note_delete(info, input)
