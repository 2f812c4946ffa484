"""Staff notes on a customer: add, update, delete (`notes:write`)."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from custgraph.domain import notes
from custgraph.global_id import decode_id_of, encode_global_id
from custgraph.resolvers.access import caller_of
from custgraph.resolvers.fresh import fresh_customer
from custgraph.resolvers.outcome import attempt
from custgraph.schema import notes_inputs as schema
from custgraph.schema.notes import Note


async def resolve_customer_note_add(
    info: Info, input: schema.CustomerNoteAddInput
) -> schema.CustomerNoteAddPayload:
    customer_id = decode_id_of("Customer", input.customer_id, "customerId")
    note, errors = await attempt(
        notes.add_note(
            info.context.session_factory,
            caller_of(info),
            customer_id,
            input.body,
            expected_version=input.expected_version,
            idempotency_key=input.idempotency_key,
        )
    )
    return schema.CustomerNoteAddPayload(
        customer=await fresh_customer(info, note.customer_id if note else None),
        note=Note.from_row(note) if note else None,
        user_errors=errors,
    )


async def resolve_customer_note_update(
    info: Info, input: schema.CustomerNoteUpdateInput
) -> schema.CustomerNoteUpdatePayload:
    note_id = decode_id_of("Note", input.note_id, "noteId")
    note, errors = await attempt(
        notes.update_note(
            info.context.session_factory,
            caller_of(info),
            note_id,
            input.body,
            expected_version=input.expected_version,
            idempotency_key=input.idempotency_key,
        )
    )
    return schema.CustomerNoteUpdatePayload(
        customer=await fresh_customer(info, note.customer_id if note else None),
        note=Note.from_row(note) if note else None,
        user_errors=errors,
    )


async def resolve_customer_note_delete(
    info: Info, input: schema.CustomerNoteDeleteInput
) -> schema.CustomerNoteDeletePayload:
    note_id = decode_id_of("Note", input.note_id, "noteId")
    deleted, errors = await attempt(
        notes.delete_note(
            info.context.session_factory,
            caller_of(info),
            note_id,
            expected_version=input.expected_version,
            idempotency_key=input.idempotency_key,
        )
    )
    return schema.CustomerNoteDeletePayload(
        customer=await fresh_customer(info, deleted.customer_id if deleted else None),
        deleted_note_id=strawberry.ID(encode_global_id("Note", deleted.note_id))
        if deleted
        else None,
        user_errors=errors,
    )
