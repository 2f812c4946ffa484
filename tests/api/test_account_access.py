"""Account access and messages over HTTP: reset and verification links, password, MFA,
and messages sent through the outbox."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select

from custgraph.db.models import OutboxMessage
from tests.api.test_commercial import (
    UNKNOWN_CUSTOMER,
    errors_of,
    new_customer,
    newest_event,
    run,
    state_of,
)
from tests.api.test_identity import CUSTOMER_LOGIN, WHO, _signed_in_customer
from tests.conftest import SeededWorld
from tests.support.client import GraphQLClient
from tests.support.outbox import latest_link_token
from tests.support.smtp import Inbox
from tests.support.truth import fetch

SEND_RESET = """mutation($input: CustomerSendPasswordResetInput!) {
  customerSendPasswordReset(input: $input) { customer { id version }
  userErrors { field code message } } }"""
RESEND = """mutation($input: CustomerResendVerificationInput!) {
  customerResendVerification(input: $input) { customer { id version emailVerified }
  userErrors { field code message } } }"""
SET_PASSWORD = """mutation($input: CustomerSetPasswordInput!) {
  customerSetPassword(input: $input) { customer { id version }
  userErrors { field code message } } }"""
MFA = """mutation($input: CustomerUpdateMfaInput!) { customerUpdateMfa(input: $input) {
  customer { id version mfa { enabled phone } } userErrors { field code message } } }"""
NOTIFY = """mutation($input: CustomerNotifyInput!) { customerNotify(input: $input) {
  customer { id version }
  notification { id channel kind subject status recipient attempts }
  userErrors { field code message } } }"""
STATE = """query($id: ID!) { customer(id: $id) {
  version email phone reference mfa { enabled phone }
  notifications(first: 5) { totalCount nodes { id kind channel } }
  events(first: 5) { totalCount nodes { type message actor { kind name }
                                        changes { field oldValue newValue } } } } }"""
NEW_PASSWORD = "a password set by staff"


async def _state(wgql: GraphQLClient, customer_id: str) -> dict[str, Any]:
    return await state_of(wgql, customer_id, STATE)


async def _queued_to(writable: SeededWorld, recipient: str) -> int:
    rows = await fetch(
        writable.app.state.engine,
        select(func.count()).select_from(OutboxMessage).where(OutboxMessage.recipient == recipient),
    )
    return int(rows[0][0])


def _key() -> str:
    return f"key-{uuid.uuid4().hex}"


# --- reset and verification links -----------------------------------------------------


async def test_staff_sends_a_working_reset_link_once_per_idempotency_key(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    customer_id = await new_customer(writable)
    state = await _state(wgql, customer_id)
    support = wgql.as_(writable.tokens["SUPPORT"])
    key = _key()
    payload = await run(support, SEND_RESET, customerId=customer_id, idempotencyKey=key)
    assert payload["userErrors"] == []
    # Sending a link is no change to the record: the version stays.
    assert payload["customer"] == {"id": customer_id, "version": state["version"]}
    after = await _state(wgql, customer_id)
    event = newest_event(after)
    assert event["type"] == "PASSWORD_RESET_SENT"
    assert event["actor"] == {"kind": "STAFF", "name": "Support Tester"}
    assert await _queued_to(writable, state["email"]) == 1
    token = await latest_link_token(writable.app.state.engine, state["email"], "reset")

    retry = await run(support, SEND_RESET, customerId=customer_id, idempotencyKey=key)
    assert retry == payload
    assert await _queued_to(writable, state["email"]) == 1
    assert await _state(wgql, customer_id) == after

    other = await run(
        support, SEND_RESET, customerId=await new_customer(writable), idempotencyKey=key
    )
    assert errors_of(other) == [(["idempotencyKey"], "IDEMPOTENCY_KEY_REUSED")]

    reset = await wgql.as_(None)(
        """mutation($token: String!) { customerResetPassword(input: {token: $token,
        password: "the customer's own password"}) { userErrors { code } } }""",
        {"token": token},
    )
    assert reset.ok()["customerResetPassword"]["userErrors"] == []


async def test_reset_links_need_an_email_an_account_that_may_sign_in_and_customers_write(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    no_email = await new_customer(writable, email=False)
    blocked = await new_customer(writable, status="BLOCKED")
    for customer_id in (no_email, blocked):
        before = await _state(wgql, customer_id)
        refused = await run(wgql, SEND_RESET, customerId=customer_id)
        assert errors_of(refused) == [(["customerId"], "NOT_ALLOWED")]
        assert refused["customer"] is None
        assert await _state(wgql, customer_id) == before
    unknown = await run(wgql, SEND_RESET, customerId=UNKNOWN_CUSTOMER)
    assert errors_of(unknown) == [(["customerId"], "NOT_FOUND")]
    active = await new_customer(writable)
    email = (await _state(wgql, active))["email"]
    viewer = await wgql.as_(writable.tokens["VIEWER"])(
        SEND_RESET, {"input": {"customerId": active}}
    )
    assert viewer.codes == ["FORBIDDEN"]
    assert await _queued_to(writable, email) == 0


async def test_verification_is_resent_only_while_the_email_is_unverified(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    customer_id = await new_customer(writable, status="UNVERIFIED")
    state = await _state(wgql, customer_id)
    key = _key()
    payload = await run(wgql, RESEND, customerId=customer_id, idempotencyKey=key)
    assert payload["userErrors"] == []
    assert payload["customer"] == {
        "id": customer_id,
        "version": state["version"],
        "emailVerified": False,
    }
    assert newest_event(await _state(wgql, customer_id))["type"] == "VERIFICATION_RESENT"
    token = await latest_link_token(writable.app.state.engine, state["email"], "confirm")
    assert await run(wgql, RESEND, customerId=customer_id, idempotencyKey=key) == payload
    assert await _queued_to(writable, state["email"]) == 1

    verify = await wgql.as_(None)(
        "mutation($t: String!) { customerVerifyEmail(input: {token: $t}) "
        "{ customer { emailVerified } } }",
        {"t": token},
    )
    assert verify.ok()["customerVerifyEmail"]["customer"] == {"emailVerified": True}
    before = await _state(wgql, customer_id)
    verified = await run(wgql, RESEND, customerId=customer_id)
    assert errors_of(verified) == [(["customerId"], "NOT_ALLOWED")]
    no_email = await run(wgql, RESEND, customerId=await new_customer(writable, email=False))
    assert errors_of(no_email) == [(["customerId"], "NOT_ALLOWED")]
    viewer = await wgql.as_(writable.tokens["VIEWER"])(
        RESEND, {"input": {"customerId": customer_id}}
    )
    assert viewer.codes == ["FORBIDDEN"]
    assert await _state(wgql, customer_id) == before
    assert await _queued_to(writable, state["email"]) == 1


# --- password -----------------------------------------------------------------------


async def test_setting_a_password_ends_the_customers_sessions_and_logs_it_masked(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    email, customer_id, token = await _signed_in_customer(wgql, writable)
    assert (await wgql.as_(token)(WHO)).ok()
    version = (await _state(wgql, customer_id))["version"]
    payload = await run(
        wgql, SET_PASSWORD, customerId=customer_id, password=NEW_PASSWORD, expectedVersion=version
    )
    assert payload["userErrors"] == []
    assert payload["customer"]["version"] == version + 1
    assert (await wgql.as_(token)(WHO)).status == 401
    anonymous = wgql.as_(None)
    login = (await anonymous(CUSTOMER_LOGIN, {"email": email, "password": NEW_PASSWORD})).ok()
    assert login["customerLogin"]["token"]
    event = newest_event(await _state(wgql, customer_id))
    assert event["type"] == "PASSWORD_SET"
    assert event["changes"] == [{"field": "password", "oldValue": "•••", "newValue": "•••"}]
    assert NEW_PASSWORD not in str(event)


async def test_set_password_refuses_short_passwords_stale_versions_and_managers(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    customer_id = await new_customer(writable)
    before = await _state(wgql, customer_id)
    short = await run(wgql, SET_PASSWORD, customerId=customer_id, password="short")
    assert errors_of(short) == [(["password"], "PASSWORD_TOO_SHORT")]
    stale = await run(
        wgql, SET_PASSWORD, customerId=customer_id, password=NEW_PASSWORD, expectedVersion=9
    )
    assert errors_of(stale) == [(["expectedVersion"], "CONFLICT")]
    manager = await wgql.as_(writable.tokens["MANAGER"])(
        SET_PASSWORD, {"input": {"customerId": customer_id, "password": NEW_PASSWORD}}
    )
    assert manager.codes == ["FORBIDDEN"]
    assert await _state(wgql, customer_id) == before


# --- MFA ----------------------------------------------------------------------------


async def test_mfa_is_enabled_with_an_e164_phone_and_disabled_forgetting_it(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    customer_id = await new_customer(writable)
    support = wgql.as_(writable.tokens["SUPPORT"])
    on = await run(
        support,
        MFA,
        customerId=customer_id,
        enabled=True,
        phone="+49 151 2345 6789",
        expectedVersion=1,
    )
    assert on["userErrors"] == []
    assert on["customer"]["mfa"] == {"enabled": True, "phone": "+4915123456789"}
    assert on["customer"]["version"] == 2
    event = newest_event(await _state(wgql, customer_id))
    assert event["type"] == "MFA_UPDATED"
    assert event["message"] == "MFA turned on"
    assert event["changes"] == [
        {"field": "mfaEnabled", "oldValue": "False", "newValue": "True"},
        {"field": "mfaPhone", "oldValue": None, "newValue": "+4915123456789"},
    ]
    before = await _state(wgql, customer_id)
    same = await run(support, MFA, customerId=customer_id, enabled=True, phone="+4915123456789")
    assert same["userErrors"] == []
    assert await _state(wgql, customer_id) == before

    off = await run(support, MFA, customerId=customer_id, enabled=False)
    assert off["customer"]["mfa"] == {"enabled": False, "phone": None}
    assert off["customer"]["version"] == 3
    event = newest_event(await _state(wgql, customer_id))
    assert event["message"] == "MFA turned off"
    assert {"field": "mfaPhone", "oldValue": "+4915123456789", "newValue": None} in (
        event["changes"]
    )


async def test_mfa_phone_is_required_valid_and_left_out_when_disabling(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    customer_id = await new_customer(writable)
    before = await _state(wgql, customer_id)
    for input, expected in [
        ({"enabled": True}, (["phone"], "REQUIRED")),
        ({"enabled": True, "phone": "  "}, (["phone"], "REQUIRED")),
        ({"enabled": True, "phone": "015123456789"}, (["phone"], "INVALID")),
        ({"enabled": True, "phone": "+49 123"}, (["phone"], "INVALID")),
        ({"enabled": False, "phone": "+4915123456789"}, (["phone"], "INVALID")),
        (
            {"enabled": True, "phone": "+4915123456789", "expectedVersion": 4},
            (["expectedVersion"], "CONFLICT"),
        ),
    ]:
        payload = await run(wgql, MFA, customerId=customer_id, **input)
        assert errors_of(payload) == [expected], input
    viewer = await wgql.as_(writable.tokens["VIEWER"])(
        MFA, {"input": {"customerId": customer_id, "enabled": False}}
    )
    assert viewer.codes == ["FORBIDDEN"]
    assert await _state(wgql, customer_id) == before


async def test_a_customer_updates_their_own_mfa_and_nobody_elses(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    _, customer_id, token = await _signed_in_customer(wgql, writable)
    me = wgql.as_(token)
    own = await run(me, MFA, customerId=customer_id, enabled=True, phone="+33612345678")
    assert own["userErrors"] == []
    assert own["customer"]["mfa"] == {"enabled": True, "phone": "+33612345678"}
    event = newest_event(await _state(wgql, customer_id))
    assert event["actor"]["kind"] == "CUSTOMER"

    other = await new_customer(writable)
    before = await _state(wgql, other)
    for target in (other, UNKNOWN_CUSTOMER):
        response = await me(MFA, {"input": {"customerId": target, "enabled": False}})
        assert response.codes == ["NOT_FOUND"]
    assert await _state(wgql, other) == before
    anonymous = await wgql.as_(None)(MFA, {"input": {"customerId": other, "enabled": False}})
    assert anonymous.codes == ["UNAUTHENTICATED"]


# --- messages -----------------------------------------------------------------------


async def test_notify_queues_one_message_per_idempotency_key(
    wgql: GraphQLClient, writable: SeededWorld, smtp_inbox: Inbox
) -> None:
    customer_id = await new_customer(writable)
    state = await _state(wgql, customer_id)
    support = wgql.as_(writable.tokens["SUPPORT"])
    key = _key()
    input = {
        "customerId": customer_id,
        "channel": "EMAIL",
        "subject": " Your order ",
        "body": "It ships tomorrow.",
        "idempotencyKey": key,
    }
    payload = await run(support, NOTIFY, **input)
    assert payload["userErrors"] == []
    assert payload["customer"] == {"id": customer_id, "version": state["version"]}
    notification = dict(payload["notification"])
    notification_id = notification.pop("id")
    # The app's delivery worker may already have sent it.
    assert notification.pop("status") in ("PENDING", "SENT")
    del notification["attempts"]
    assert notification == {
        "channel": "EMAIL",
        "kind": "MESSAGE",
        "subject": "Your order",
        "recipient": state["email"],
    }
    after = await _state(wgql, customer_id)
    assert after["notifications"]["nodes"][0]["id"] == notification_id
    event = newest_event(after)
    assert event["type"] == "NOTIFICATION_SENT"
    assert event["message"] == "EMAIL message queued: Your order"
    received = await smtp_inbox.wait_for(state["email"], "Your order")
    assert received.text.strip() == "It ships tomorrow."

    retry = await run(support, NOTIFY, **input)
    assert retry["notification"]["id"] == notification_id
    assert await _queued_to(writable, state["email"]) == 1
    assert await _state(wgql, customer_id) == after
    changed = await run(support, NOTIFY, **{**input, "body": "Another text."})
    assert errors_of(changed) == [(["idempotencyKey"], "IDEMPOTENCY_KEY_REUSED")]
    assert await _queued_to(writable, state["email"]) == 1


async def test_sms_goes_to_the_phone_and_push_to_the_app_account(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    customer_id = await new_customer(writable, phone="+4915123456789")
    sms = await run(wgql, NOTIFY, customerId=customer_id, channel="SMS", body="Code 1234")
    assert sms["userErrors"] == []
    assert sms["notification"]["recipient"] == "+4915123456789"
    push = await run(
        wgql, NOTIFY, customerId=customer_id, channel="PUSH", subject="Hi", body="New offers"
    )
    assert push["userErrors"] == []
    state = await _state(wgql, customer_id)
    assert push["notification"]["recipient"] == state["reference"]
    assert [n["channel"] for n in state["notifications"]["nodes"]] == ["PUSH", "SMS"]
    assert [e["type"] for e in state["events"]["nodes"][:2]] == ["NOTIFICATION_SENT"] * 2


async def test_notify_refuses_missing_contacts_subjects_and_bodies_and_writes_nothing(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    no_contact = await new_customer(writable, email=False)
    before = await _state(wgql, no_contact)
    for input, expected in [
        ({"channel": "EMAIL", "subject": "s", "body": "b"}, (["channel"], "NOT_ALLOWED")),
        ({"channel": "SMS", "body": "b"}, (["channel"], "NOT_ALLOWED")),
        ({"channel": "EMAIL", "body": "b"}, (["subject"], "REQUIRED")),
        ({"channel": "PUSH", "body": "  "}, (["body"], "REQUIRED")),
        ({"channel": "SMS", "body": "x" * 1601}, (["body"], "TOO_LONG")),
        ({"channel": "PUSH", "subject": "s" * 201, "body": "b"}, (["subject"], "TOO_LONG")),
    ]:
        payload = await run(wgql, NOTIFY, customerId=no_contact, **input)
        assert errors_of(payload) == [expected], input
        assert payload["notification"] is None
    unknown = await run(wgql, NOTIFY, customerId=UNKNOWN_CUSTOMER, channel="PUSH", body="b")
    assert errors_of(unknown) == [(["customerId"], "NOT_FOUND")]
    viewer = await wgql.as_(writable.tokens["VIEWER"])(
        NOTIFY, {"input": {"customerId": no_contact, "channel": "PUSH", "body": "b"}}
    )
    assert viewer.codes == ["FORBIDDEN"]
    assert await _state(wgql, no_contact) == before
