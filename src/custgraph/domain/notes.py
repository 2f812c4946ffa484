"""Staff notes on a customer.

A note is part of the customer's record: adding, changing or deleting one bumps the
customer's `version` (so an editor holding an older version learns that the record
changed) and logs NOTE_ADDED, NOTE_UPDATED or NOTE_DELETED. Notes and staff users are
named by database id in the log's changes, as elsewhere in it; the body of a deleted
note is not copied into the log.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from custgraph.db.models import Customer, Note
from custgraph.domain.caller import Caller
from custgraph.domain.customer_action import (
    CustomerAction,
    Outcome,
    act_on_customer,
    act_on_locked_customer,
    changed,
    unchanged,
)
from custgraph.domain.errors import DomainError
from custgraph.domain.events import change
from custgraph.domain.idempotency import Replay, of_row, once
from custgraph.domain.transaction import in_transaction

MAX_BODY_LENGTH = 5000

T = TypeVar("T")


@dataclass(frozen=True)
class DeletedNote:
    customer_id: int
    note_id: int


async def _deleted_again(_session: AsyncSession, stored: dict[str, Any]) -> DeletedNote:
    return DeletedNote(customer_id=stored["customer_id"], note_id=stored["note_id"])


# A deletion's retry gets the same answer: the note it deleted.
_DELETED = Replay[DeletedNote](
    lambda deleted: {"customer_id": deleted.customer_id, "note_id": deleted.note_id},
    _deleted_again,
)


def checked_body(body: str) -> str:
    """The note's text, trimmed: 1 to 5000 characters."""
    text = body.strip()
    if not text:
        raise DomainError("REQUIRED", "A note needs some text.", ["body"])
    if len(text) > MAX_BODY_LENGTH:
        raise DomainError("TOO_LONG", f"Notes have at most {MAX_BODY_LENGTH} characters.", ["body"])
    return text


async def add_note(
    sessions: async_sessionmaker[AsyncSession],
    caller: Caller,
    customer_id: int,
    body: str,
    *,
    expected_version: int | None = None,
    idempotency_key: str | None = None,
) -> Note:
    """Write a note on the customer; the caller is its author."""
    text = checked_body(body)

    async def act(session: AsyncSession, customer: Customer) -> Outcome[Note]:
        now = datetime.now(UTC)
        note = Note(
            customer_id=customer.id,
            body=text,
            created_at=now,
            updated_at=now,
            **caller.actor.columns(),
        )
        session.add(note)
        await session.flush()
        return changed(
            note,
            "NOTE_ADDED",
            "Note added",
            [change("notes", None, note.id), change("notes.body", None, text)],
        )

    action = CustomerAction(
        "customerNoteAdd", caller, customer_id, expected_version, idempotency_key, {"body": text}
    )
    return await act_on_customer(sessions, action, act, of_row(Note))


async def update_note(
    sessions: async_sessionmaker[AsyncSession],
    caller: Caller,
    note_id: int,
    body: str,
    *,
    expected_version: int | None = None,
    idempotency_key: str | None = None,
) -> Note:
    """Change a note's text. Its author stays who wrote it; `updated_at` moves.

    The same text again changes nothing (no version bump, no event).
    """
    text = checked_body(body)
    request = {"note_id": note_id, "body": text, "expected_version": expected_version}

    async def act(_session: AsyncSession, _customer: Customer, note: Note) -> Outcome[Note]:
        if note.body == text:
            return unchanged(note)
        old = note.body
        note.body = text
        note.updated_at = datetime.now(UTC)
        return changed(
            note, "NOTE_UPDATED", f"Note {note.id} updated", [change("notes.body", old, text)]
        )

    return await _act_on_note(
        sessions,
        caller,
        "customerNoteUpdate",
        note_id,
        expected_version,
        idempotency_key,
        request,
        act,
        of_row(Note),
    )


async def delete_note(
    sessions: async_sessionmaker[AsyncSession],
    caller: Caller,
    note_id: int,
    *,
    expected_version: int | None = None,
    idempotency_key: str | None = None,
) -> DeletedNote:
    """Delete a note for good; the log keeps that it existed, not what it said."""
    request = {"note_id": note_id, "expected_version": expected_version}

    async def act(session: AsyncSession, customer: Customer, note: Note) -> Outcome[DeletedNote]:
        await session.delete(note)
        return changed(
            DeletedNote(customer_id=customer.id, note_id=note_id),
            "NOTE_DELETED",
            "Note deleted",
            [change("notes", note_id, None)],
        )

    return await _act_on_note(
        sessions,
        caller,
        "customerNoteDelete",
        note_id,
        expected_version,
        idempotency_key,
        request,
        act,
        _DELETED,
    )


NoteAct = Callable[[AsyncSession, Customer, Note], Awaitable[Outcome[T]]]


async def _act_on_note(
    sessions: async_sessionmaker[AsyncSession],
    caller: Caller,
    operation: str,
    note_id: int,
    expected_version: int | None,
    idempotency_key: str | None,
    request: dict[str, Any],
    act: NoteAct[T],
    kept: Replay[T],
) -> T:
    """`act` on the note and its customer, the customer locked first like every other
    action does, so that two actions never wait on each other's locks in opposite orders.

    The idempotency key stays around the whole transaction with the request it was
    always stored with (the note, not the customer, is what the caller names), so keys
    stored before still replay; a customer fingerprint would not match them.
    """

    async def work(session: AsyncSession) -> T:
        customer_id = await session.scalar(select(Note.customer_id).where(Note.id == note_id))
        if customer_id is None:
            raise DomainError("NOT_FOUND", "Note not found.", ["noteId"])
        action = CustomerAction(operation, caller, customer_id, expected_version, field="noteId")

        async def on_customer(session: AsyncSession, customer: Customer) -> Outcome[T]:
            note = await session.scalar(
                select(Note)
                .where(Note.id == note_id, Note.customer_id == customer.id)
                .with_for_update()
            )
            if note is None:  # deleted, or moved by a merge, while we waited for the lock
                raise DomainError("NOT_FOUND", "Note not found.", ["noteId"])
            return await act(session, customer, note)

        return await act_on_locked_customer(session, action, on_customer)

    return await in_transaction(
        sessions, once(caller, operation, idempotency_key, request, work, kept)
    )
