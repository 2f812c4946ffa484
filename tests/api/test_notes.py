"""Staff notes over HTTP: add, update and delete, each a logged write to the customer."""

from __future__ import annotations

from typing import Any

from custgraph.global_id import decode_global_id, encode_global_id
from tests.api.test_commercial import (
    UNKNOWN_CUSTOMER,
    errors_of,
    new_customer,
    newest_event,
    run,
    state_of,
)
from tests.conftest import SeededWorld
from tests.support.client import GraphQLClient

NOTE_FIELDS = "id body author { kind id name } createdAt updatedAt"
ADD = f"""mutation($input: CustomerNoteAddInput!) {{ customerNoteAdd(input: $input) {{
  customer {{ id version }} note {{ {NOTE_FIELDS} }} userErrors {{ field code message }} }} }}"""
UPDATE = f"""mutation($input: CustomerNoteUpdateInput!) {{ customerNoteUpdate(input: $input) {{
  customer {{ id version }} note {{ {NOTE_FIELDS} }} userErrors {{ field code message }} }} }}"""
DELETE = """mutation($input: CustomerNoteDeleteInput!) { customerNoteDelete(input: $input) {
  customer { id version } deletedNoteId userErrors { field code message } } }"""
STATE = """query($id: ID!) { customer(id: $id) {
  version notes(first: 10) { totalCount nodes { id body author { name } } }
  events(first: 5) { nodes { type message actor { kind name }
                             changes { field oldValue newValue } } } } }"""
UNKNOWN_NOTE = encode_global_id("Note", 2_000_000_000)


def _db_id(global_id: str) -> str:
    return str(decode_global_id(global_id)[1])


async def _state(wgql: GraphQLClient, customer_id: str) -> dict[str, Any]:
    return await state_of(wgql, customer_id, STATE)


async def _note(wgql: GraphQLClient, customer_id: str, body: str = "Call back on Monday.") -> str:
    payload = await run(wgql, ADD, customerId=customer_id, body=body)
    assert payload["userErrors"] == [], payload
    note_id: str = payload["note"]["id"]
    return note_id


async def test_a_note_is_written_by_the_caller_and_bumps_the_customer_version(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    customer_id = await new_customer(writable)
    support = wgql.as_(writable.tokens["SUPPORT"])
    payload = await run(
        support,
        ADD,
        customerId=customer_id,
        body="  Prefers calls after 5 pm.\n",
        expectedVersion=1,
    )
    assert payload["userErrors"] == []
    assert payload["customer"] == {"id": customer_id, "version": 2}
    note = payload["note"]
    assert note["body"] == "Prefers calls after 5 pm."
    assert note["author"] == {
        "kind": "STAFF",
        "id": encode_global_id("StaffUser", writable.staff_ids["SUPPORT"]),
        "name": "Support Tester",
    }
    assert note["createdAt"] == note["updatedAt"]
    state = await _state(wgql, customer_id)
    assert state["notes"]["nodes"] == [
        {
            "id": note["id"],
            "body": "Prefers calls after 5 pm.",
            "author": {"name": "Support Tester"},
        }
    ]
    event = newest_event(state)
    assert event["type"] == "NOTE_ADDED"
    assert event["actor"] == {"kind": "STAFF", "name": "Support Tester"}
    assert event["changes"] == [
        {"field": "notes", "oldValue": None, "newValue": _db_id(note["id"])},
        {"field": "notes.body", "oldValue": None, "newValue": "Prefers calls after 5 pm."},
    ]


async def test_updating_a_note_keeps_its_author_and_moves_updated_at(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    customer_id = await new_customer(writable)
    note_id = await _note(wgql.as_(writable.tokens["SUPPORT"]), customer_id, "First text.")
    payload = await run(
        wgql.as_(writable.tokens["MANAGER"]),
        UPDATE,
        noteId=note_id,
        body="Second text.",
        expectedVersion=2,
    )
    assert payload["userErrors"] == []
    assert payload["customer"] == {"id": customer_id, "version": 3}
    note = payload["note"]
    assert note["body"] == "Second text."
    assert note["author"]["name"] == "Support Tester"
    assert note["updatedAt"] > note["createdAt"]
    event = newest_event(await _state(wgql, customer_id))
    assert event["type"] == "NOTE_UPDATED"
    assert event["actor"]["name"] == "Manager Tester"
    assert event["changes"] == [
        {"field": "notes.body", "oldValue": "First text.", "newValue": "Second text."}
    ]


async def test_updating_a_note_to_the_same_text_changes_nothing(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    customer_id = await new_customer(writable)
    note_id = await _note(wgql, customer_id, "Same.")
    before = await _state(wgql, customer_id)
    payload = await run(wgql, UPDATE, noteId=note_id, body=" Same. ")
    assert payload["userErrors"] == []
    assert payload["note"]["body"] == "Same."
    assert await _state(wgql, customer_id) == before


async def test_deleting_a_note_logs_its_id_but_not_its_text(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    customer_id = await new_customer(writable)
    note_id = await _note(wgql, customer_id, "Secret-ish remark.")
    payload = await run(wgql, DELETE, noteId=note_id, expectedVersion=2)
    assert payload["userErrors"] == []
    assert payload["deletedNoteId"] == note_id
    assert payload["customer"] == {"id": customer_id, "version": 3}
    state = await _state(wgql, customer_id)
    assert state["notes"]["totalCount"] == 0
    event = newest_event(state)
    assert event["type"] == "NOTE_DELETED"
    assert event["changes"] == [{"field": "notes", "oldValue": _db_id(note_id), "newValue": None}]
    assert "Secret-ish" not in str(event)
    gone = await wgql("query($id: ID!) { node(id: $id) { id } }", {"id": note_id})
    assert gone.codes == ["NOT_FOUND"]
    again = await run(wgql, DELETE, noteId=note_id)
    assert errors_of(again) == [(["noteId"], "NOT_FOUND")]


async def test_blank_overlong_or_misdirected_notes_are_refused_and_write_nothing(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    customer_id = await new_customer(writable)
    note_id = await _note(wgql, customer_id, "Kept as is.")
    before = await _state(wgql, customer_id)
    for payload, expected in [
        (await run(wgql, ADD, customerId=customer_id, body=" \n "), (["body"], "REQUIRED")),
        (await run(wgql, ADD, customerId=customer_id, body="x" * 5001), (["body"], "TOO_LONG")),
        (await run(wgql, UPDATE, noteId=note_id, body=""), (["body"], "REQUIRED")),
        (
            await run(wgql, ADD, customerId=UNKNOWN_CUSTOMER, body="x"),
            (["customerId"], "NOT_FOUND"),
        ),
        (await run(wgql, UPDATE, noteId=UNKNOWN_NOTE, body="x"), (["noteId"], "NOT_FOUND")),
        (await run(wgql, DELETE, noteId=UNKNOWN_NOTE), (["noteId"], "NOT_FOUND")),
    ]:
        assert errors_of(payload) == [expected]
        assert payload["customer"] is None
    assert await _state(wgql, customer_id) == before
    five_thousand = await run(wgql, ADD, customerId=customer_id, body="x" * 5000)
    assert five_thousand["userErrors"] == []


async def test_note_changes_need_a_current_customer_version(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    customer_id = await new_customer(writable)
    note_id = await _note(wgql, customer_id)
    before = await _state(wgql, customer_id)
    for payload in [
        await run(wgql, ADD, customerId=customer_id, body="x", expectedVersion=1),
        await run(wgql, UPDATE, noteId=note_id, body="x", expectedVersion=1),
        await run(wgql, DELETE, noteId=note_id, expectedVersion=1),
    ]:
        assert errors_of(payload) == [(["expectedVersion"], "CONFLICT")]
    assert await _state(wgql, customer_id) == before


async def test_notes_need_notes_write(wgql: GraphQLClient, writable: SeededWorld) -> None:
    customer_id = await new_customer(writable)
    note_id = await _note(wgql, customer_id)
    before = await _state(wgql, customer_id)
    viewer = wgql.as_(writable.tokens["VIEWER"])
    for query, input in [
        (ADD, {"customerId": customer_id, "body": "x"}),
        (UPDATE, {"noteId": note_id, "body": "x"}),
        (DELETE, {"noteId": note_id}),
    ]:
        response = await viewer(query, {"input": input})
        assert response.codes == ["FORBIDDEN"]
        assert response.data is None
    assert await _state(wgql, customer_id) == before
