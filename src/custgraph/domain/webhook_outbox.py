"""Webhook deliveries, queued in the transaction of the changes they announce.

`changes._write_pending` calls `enqueue_deliveries` as the transaction commits, once the
change rows are added: for every active subscription whose event types include a
change's type, one `webhook_deliveries` row with its payload frozen then. So a
rolled-back action queues nothing, a committed one queues exactly its deliveries, and
the worker (custgraph/webhooks/) sends them later, outside any transaction.

The payload carries what its subscriber may read at this moment: the owner's
permissions are read in this transaction (an API key's scopes, a staff user's role), a
revoked key or deactivated user gets nothing, and `details` keeps only the values the
owner's permissions show (`change_payloads.visible_details`). Nothing here is cached across
transactions: a subscription made or changed a moment ago counts at once.

This runs in a `before_commit` hook, on the synchronous `Session` under the
`AsyncSession`, so it uses the synchronous API.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from custgraph.auth.permissions import Permission
from custgraph.db.models import (
    ApiKey,
    CustomerChange,
    Role,
    StaffUser,
    WebhookDelivery,
    WebhookSubscription,
)
from custgraph.domain.change_payloads import change_payload, visible_details

# Payloads name customers by the API's global ids, as every client of it does.

# What a subscriber must hold to be told of changes at all: the payload names a customer
# and the fields that changed.
READ_PERMISSION = Permission.CUSTOMERS_READ

_SUBSCRIBERS = (
    select(
        WebhookSubscription.id,
        WebhookSubscription.event_types,
        WebhookSubscription.owner_api_key_id,
        ApiKey.scopes,
        ApiKey.revoked_at,
        StaffUser.is_active.label("staff_active"),
        Role.permissions.label("role_permissions"),
    )
    .outerjoin(ApiKey, ApiKey.id == WebhookSubscription.owner_api_key_id)
    .outerjoin(StaffUser, StaffUser.id == WebhookSubscription.owner_staff_id)
    .outerjoin(Role, Role.name == StaffUser.role)
    .where(WebhookSubscription.is_active.is_(True))
    .order_by(WebhookSubscription.id)
)


@dataclass(frozen=True)
class Subscriber:
    """An active subscription and what its owner may read now."""

    subscription_id: int
    event_types: frozenset[str]
    permissions: frozenset[str]

    def can(self, permission: Permission) -> bool:
        return permission.value in self.permissions


def enqueue_deliveries(
    session: Session,
    rows: Sequence[CustomerChange] | None = None,
    subscribers: Sequence[Subscriber] | None = None,
) -> int:
    """Queue one delivery per (matching active subscription, change) in `session`'s
    transaction; returns how many were queued.

    `rows` are the change rows this commit adds; by default, the ones the session holds
    as new (what `changes._write_pending` has just added). `subscribers` as
    `active_subscribers` found them, looked up here when not given.
    """
    if rows is None:
        rows = [row for row in session.new if isinstance(row, CustomerChange)]
    if not rows:
        return 0
    if subscribers is None:
        subscribers = active_subscribers(session)
    if not subscribers:
        return 0
    session.flush()  # the change rows' defaults (occurred_at) are set as they are written
    now = datetime.now(UTC)
    deliveries: list[dict[str, Any]] = []
    for row in sorted(rows, key=lambda r: r.sequence):
        for subscriber in subscribers:
            if row.type in subscriber.event_types:
                deliveries.append(_delivery(row, subscriber, now))
    if deliveries:
        session.execute(insert(WebhookDelivery), deliveries)
    return len(deliveries)


def payload_of(
    change: CustomerChange, subscriber: Subscriber, delivery_uuid: str
) -> dict[str, Any]:
    """The JSON document a subscriber receives for `change`: what the broker gets, with
    the delivery's id and only the details the subscriber may read."""
    visible = visible_details(change.details or {}, subscriber.can)
    return {"id": delivery_uuid, **change_payload(change, visible)}


def active_subscribers(session: Session) -> list[Subscriber]:
    """The active subscriptions whose owners may read customers, with what they may read."""
    found = []
    for row in session.execute(_SUBSCRIBERS):
        if row.owner_api_key_id is not None:
            permissions = row.scopes if row.revoked_at is None else None
        else:
            permissions = row.role_permissions if row.staff_active else None
        granted = frozenset(permissions or ())
        if READ_PERMISSION.value not in granted:
            continue  # a revoked key, a deactivated user, or an owner who may not read
        found.append(Subscriber(row.id, frozenset(row.event_types or ()), granted))
    return found


def _delivery(change: CustomerChange, subscriber: Subscriber, now: datetime) -> dict[str, Any]:
    delivery_uuid = str(uuid.uuid4())
    body = json.dumps(
        payload_of(change, subscriber, delivery_uuid), separators=(",", ":"), ensure_ascii=False
    )
    return {
        "uuid": delivery_uuid,
        "subscription_id": subscriber.subscription_id,
        "change_sequence": change.sequence,
        "event_type": change.type,
        "customer_id": change.customer_id,
        "body": body,
        "state": "PENDING",
        "attempts": 0,
        "manual": False,
        "next_attempt_at": now,
        "created_at": now,
    }
