"""Messages staff send to a customer by email, SMS or push, through the outbox."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from custgraph.db.models import Customer
from custgraph.domain.caller import Caller
from custgraph.domain.customer_action import (
    CustomerAction,
    Outcome,
    act_on_locked_customer,
    logged,
)
from custgraph.domain.errors import DomainError
from custgraph.domain.idempotency import Replay, once
from custgraph.domain.outbox import enqueue_message
from custgraph.domain.transaction import in_transaction

CHANNELS = ("EMAIL", "SMS", "PUSH")
MAX_SUBJECT_LENGTH = 200
# An SMS of ten concatenated segments; push services cut longer texts themselves.
MAX_BODY_LENGTH = {"EMAIL": 20_000, "SMS": 1_600, "PUSH": 1_000}
MAX_MESSAGE_LENGTH = 500


@dataclass(frozen=True)
class Sent:
    customer_id: int
    notification_id: int


async def notify_customer(
    sessions: async_sessionmaker[AsyncSession],
    caller: Caller,
    customer_id: int,
    *,
    channel: str,
    subject: str | None,
    body: str,
    idempotency_key: str | None = None,
) -> Sent:
    """Queue a message to the customer and log it in their notifications.

    EMAIL needs an email on file and a subject, SMS a phone (NOT_ALLOWED otherwise);
    PUSH goes to the customer's app account, addressed by their reference. Nothing is
    sent here: the delivery worker sends what this transaction queued once it commits.
    A retry with the same idempotency key and input returns the same notification and
    queues nothing more. Sending changes nothing on the record: no version bump.
    """
    clean_subject, clean_body = _checked_message(channel, subject, body)
    request = {
        "customerId": customer_id,
        "channel": channel,
        "subject": clean_subject,
        "body": clean_body,
    }
    operation = "customerNotify"

    async def act(session: AsyncSession, customer: Customer) -> Outcome[Sent]:
        notification = await enqueue_message(
            session,
            customer_id=customer.id,
            channel=channel,
            kind="MESSAGE",
            recipient=_recipient(customer, channel),
            subject=clean_subject or "",
            body=clean_body,
        )
        title = f": {clean_subject}" if clean_subject else ""
        return logged(
            Sent(customer.id, notification.id),
            "NOTIFICATION_SENT",
            textwrap.shorten(f"{channel} message queued{title}", MAX_MESSAGE_LENGTH),
        )

    action = CustomerAction(operation, caller, customer_id)

    async def work(session: AsyncSession) -> Sent:
        return await act_on_locked_customer(session, action, act)

    # Not act_on_customer's fingerprint: keys were stored with "customerId" and without
    # an expected version, and a new fingerprint would refuse their retries.
    return await in_transaction(
        sessions, once(caller, operation, idempotency_key, request, work, _SENT_KEPT)
    )


def _checked_message(channel: str, subject: str | None, body: str) -> tuple[str | None, str]:
    if channel not in CHANNELS:
        raise DomainError("INVALID", f"Unknown channel {channel}.", ["channel"])
    clean_subject = (subject or "").strip() or None
    if clean_subject is None and channel == "EMAIL":
        raise DomainError("REQUIRED", "An email needs a subject.", ["subject"])
    if clean_subject is not None and len(clean_subject) > MAX_SUBJECT_LENGTH:
        raise DomainError(
            "TOO_LONG", f"Subjects have at most {MAX_SUBJECT_LENGTH} characters.", ["subject"]
        )
    clean_body = body.strip()
    if not clean_body:
        raise DomainError("REQUIRED", "The message needs a text.", ["body"])
    limit = MAX_BODY_LENGTH[channel]
    if len(clean_body) > limit:
        raise DomainError(
            "TOO_LONG", f"{channel} messages have at most {limit} characters.", ["body"]
        )
    return clean_subject, clean_body


def _recipient(customer: Customer, channel: str) -> str:
    if channel == "EMAIL":
        if customer.email is None:
            raise DomainError("NOT_ALLOWED", "The customer has no email.", ["channel"])
        return customer.email
    if channel == "SMS":
        if customer.phone is None:
            raise DomainError("NOT_ALLOWED", "The customer has no phone.", ["channel"])
        return customer.phone
    return customer.reference


async def _replay_sent(_session: AsyncSession, stored: dict[str, Any]) -> Sent:
    return Sent(stored["customerId"], stored["notificationId"])


_SENT_KEPT = Replay(
    lambda sent: {"customerId": sent.customer_id, "notificationId": sent.notification_id},
    _replay_sent,
)
