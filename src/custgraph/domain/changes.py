"""The change feed: what partners sync from, written with each change.

Every action that writes an activity-log entry (`events.record_event`) notes a change
here too; `customerDelete`, which leaves no log, notes its own. The notes become
`customer_changes` rows as the transaction commits (a `before_commit` hook), numbered
from the one-row `change_sequence`, whose row lock is held from there to the commit:
so numbers are given out in commit order, and whoever has read number N has every
smaller one. Holding the lock only for the commit keeps the writers' queue short.

A change carries the changed fields' names, and the old and new values only of fields
without personal data (`change_payloads.VALUE_PERMISSIONS`), so that a reader sees of them
what its permissions let it read; personal data is fetched through the API.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from custgraph.db.models import ChangeSequence, Customer, CustomerChange
from custgraph.domain import webhook_outbox
from custgraph.domain.actors import Actor
from custgraph.domain.change_payloads import VALUE_PERMISSIONS

_PENDING = "custgraph.pending_changes"

# The change types partners subscribe to (webhooks use the same names).
CUSTOMER_CREATED = "customer.created"
CUSTOMER_UPDATED = "customer.updated"
CUSTOMER_STATUS_CHANGED = "customer.status_changed"
CUSTOMER_EMAIL_CHANGED = "customer.email_changed"
CUSTOMER_MERGED = "customer.merged"
CUSTOMER_ERASED = "customer.erased"
CUSTOMER_DELETED = "customer.deleted"
POINTS_ADJUSTED = "points.adjusted"
CREDIT_ADJUSTED = "credit.adjusted"
GIFT_CARD_ISSUED = "gift_card.issued"
CHANGE_TYPES = (
    CUSTOMER_CREATED,
    CUSTOMER_UPDATED,
    CUSTOMER_STATUS_CHANGED,
    CUSTOMER_EMAIL_CHANGED,
    CUSTOMER_MERGED,
    CUSTOMER_ERASED,
    CUSTOMER_DELETED,
    POINTS_ADJUSTED,
    CREDIT_ADJUSTED,
    GIFT_CARD_ISSUED,
)

# Activity-log entries and the change each is; an entry not listed is customer.updated.
_TYPE_OF_EVENT = {
    "CUSTOMER_CREATED": CUSTOMER_CREATED,
    "CUSTOMER_REGISTERED": CUSTOMER_CREATED,
    "STATUS_CHANGED": CUSTOMER_STATUS_CHANGED,
    "EMAIL_CHANGED": CUSTOMER_EMAIL_CHANGED,
    "CUSTOMER_MERGED": CUSTOMER_MERGED,
    "CUSTOMER_ERASED": CUSTOMER_ERASED,
    "POINTS_ADJUSTED": POINTS_ADJUSTED,
    "CREDIT_ADJUSTED": CREDIT_ADJUSTED,
    "GIFT_CARD_ISSUED": GIFT_CARD_ISSUED,
}
# Entries that change nothing of the customer's data: messages sent, links asked for.
_NOT_CHANGES = frozenset(
    {"NOTIFICATION_SENT", "PASSWORD_RESET_REQUESTED", "PASSWORD_RESET_SENT", "VERIFICATION_RESENT"}
)
# Entries about a relation, named by it rather than by its own fields.
_RELATION_OF_EVENT = {
    "ADDRESS_ADDED": "addresses",
    "ADDRESS_UPDATED": "addresses",
    "ADDRESS_DELETED": "addresses",
    "DEFAULT_ADDRESS_SET": "addresses",
    "NOTE_ADDED": "notes",
    "NOTE_UPDATED": "notes",
    "NOTE_DELETED": "notes",
    "GIFT_CARD_ISSUED": "giftCards",
    "GIFT_CARD_DEACTIVATED": "giftCards",
    "CUSTOM_FIELDS_SET": "customFields",
}


@dataclass
class PendingChange:
    type: str
    customer_id: int
    actor: Actor
    request_id: str | None
    fields: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    deleted: bool = False


def note_change(
    session: AsyncSession | Session,
    type: str,
    customer_id: int,
    actor: Actor,
    *,
    fields: Iterable[str] = (),
    details: dict[str, Any] | None = None,
    request_id: str | None = None,
    deleted: bool = False,
) -> None:
    """Note a change of `customer_id`, written with the transaction's commit."""
    target = session.sync_session if isinstance(session, AsyncSession) else session
    pending: list[PendingChange] = target.info.setdefault(_PENDING, [])
    pending.append(
        PendingChange(
            type,
            customer_id,
            actor,
            request_id,
            list(dict.fromkeys(fields)),
            details or {},
            deleted,
        )
    )


def note_event_change(
    session: AsyncSession,
    customer_id: int,
    event_type: str,
    actor: Actor,
    changes: Sequence[dict[str, Any]],
    request_id: str | None,
) -> None:
    """The change an activity-log entry records (events.record_event calls this)."""
    if event_type in _NOT_CHANGES:
        return
    relation = _RELATION_OF_EVENT.get(event_type)
    fields = [relation] if relation else [c["field"] for c in changes]
    details = {
        c["field"]: {"old": c["old"], "new": c["new"]}
        for c in changes
        if c["field"] in VALUE_PERMISSIONS
    }
    note_change(
        session,
        _TYPE_OF_EVENT.get(event_type, CUSTOMER_UPDATED),
        customer_id,
        actor,
        fields=fields,
        details=details,
        request_id=request_id,
    )


def _write_pending(session: Session) -> None:
    pending: list[PendingChange] | None = session.info.pop(_PENDING, None)
    if not pending:
        return
    session.flush()
    ids = {p.customer_id for p in pending}
    versions = dict(
        session.execute(select(Customer.id, Customer.version).where(Customer.id.in_(ids))).all()
    )
    # Read before the counter's lock, which every committing writer waits for.
    subscribers = webhook_outbox.active_subscribers(session)
    last = session.execute(
        update(ChangeSequence)
        .where(ChangeSequence.id == 1)
        .values(value=ChangeSequence.value + len(pending))
        .returning(ChangeSequence.value)
    ).scalar_one()
    for number, change in enumerate(pending, start=last - len(pending) + 1):
        session.add(
            CustomerChange(
                sequence=number,
                type=change.type,
                customer_id=change.customer_id,
                customer_version=None if change.deleted else versions.get(change.customer_id),
                fields=change.fields,
                details=change.details,
                actor_type=change.actor.type,
                actor_id=change.actor.id,
                request_id=change.request_id,
            )
        )
    webhook_outbox.enqueue_deliveries(session, subscribers=subscribers)


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    _write_pending(session)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    # A rolled-back transaction's notes are not changes (retries note them again).
    session.info.pop(_PENDING, None)
