"""Erasure (GDPR): a customer's personal data removed for good, the business records kept."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from custgraph.db.models import (
    ActionToken,
    Address,
    CreditEntry,
    Customer,
    CustomerEvent,
    CustomFieldValue,
    GiftCard,
    GiftCardEntry,
    Membership,
    Note,
    Notification,
    OutboxMessage,
    PointsEntry,
)
from custgraph.domain.caller import Caller
from custgraph.domain.customer_action import (
    CustomerAction,
    Outcome,
    act_on_locked_customer,
    changed,
)
from custgraph.domain.events import change
from custgraph.domain.idempotency import of_value, once
from custgraph.domain.references import refresh_search_text
from custgraph.domain.transaction import in_transaction

ERASED_NAME = "Erased"
ERASED_VALUE = "[erased]"
ERASED_ACTOR_LABEL = "erased customer"
# Values in the activity log that describe the account, not the person; every other
# logged value of an erased customer is replaced, since fields other actions log (names,
# addresses, custom fields…) may hold personal data.
NON_PERSONAL_LOG_FIELDS = frozenset(
    {
        "status",
        "version",
        "emailVerified",
        "mfaEnabled",
        "mergedInto",
        "tags",
        "level",
        "pointsBalance",
        "creditBalance",
        "orderCount",
        "totalRevenue",
        "salesRep",
        "priceList",
        "discountGroup",
        "paymentTerms",
        "creditLimit",
        "branch",
        "department",
        "commissionReducedPercent",
    }
)
_ACTOR_TABLES = (CustomerEvent, PointsEntry, CreditEntry, GiftCardEntry)


async def _drop_queued_messages(session: AsyncSession, customer_ids: Collection[int]) -> None:
    """Remove the outbox rows of the customers' messages: unsent ones must not go out to
    an erased customer, and sent ones still hold the address."""
    notification_ids = select(Notification.id).where(Notification.customer_id.in_(customer_ids))
    await session.execute(
        delete(OutboxMessage).where(OutboxMessage.notification_id.in_(notification_ids))
    )


def _clear_person(customer: Customer) -> None:
    """Every personal field of the row emptied; what the business needs stays."""
    customer.first_name = ""
    customer.last_name = ERASED_NAME
    customer.salutation = None
    customer.email = None
    customer.email_verified = False
    customer.phone = None
    customer.company = None
    customer.gender = "UNSPECIFIED"
    customer.date_of_birth = None
    customer.city = None
    customer.id_document_type = None
    customer.id_document_number = None
    customer.external_id = None
    customer.account_number = None
    customer.registration_code = None
    customer.referral_code = None
    customer.mfa_enabled = False
    customer.mfa_phone = None
    customer.password_hash = None
    customer.token_version += 1  # ends every session
    refresh_search_text(customer)


def _scrubbed(changes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    result = []
    for entry in changes:
        if entry.get("field") in NON_PERSONAL_LOG_FIELDS:
            result.append(entry)
            continue
        result.append(
            {
                **entry,
                "old": None if entry.get("old") is None else ERASED_VALUE,
                "new": None if entry.get("new") is None else ERASED_VALUE,
            }
        )
    return result


async def _scrub_activity_log(session: AsyncSession, ids: list[int]) -> None:
    """Keep what happened (type, when, by whom, account values); drop what it said.

    Messages go too: other actions write addresses, reasons and titles into them.
    """
    events = await session.scalars(select(CustomerEvent).where(CustomerEvent.customer_id.in_(ids)))
    for event in events:
        scrubbed = _scrubbed(event.changes or [])
        if scrubbed != event.changes:
            event.changes = scrubbed
        event.message = ERASED_VALUE
    # The customer's own name is recorded wherever it acted for itself.
    for table in _ACTOR_TABLES:
        await session.execute(
            update(table)
            .where(table.actor_type == "CUSTOMER", table.actor_id.in_(ids))
            .values(actor_label=ERASED_ACTOR_LABEL)
            .execution_options(synchronize_session=False)
        )


async def _remove_personal_rows(session: AsyncSession, ids: list[int]) -> dict[str, int]:
    """Delete or blank the rows around the customers that hold personal data; counts."""
    counts = {}
    for name, model in (
        ("addresses", Address),
        ("notes", Note),
        ("custom field values", CustomFieldValue),
    ):
        counts[name] = (
            await session.scalar(
                select(func.count()).select_from(model).where(model.customer_id.in_(ids))
            )
            or 0
        )
        await session.execute(delete(model).where(model.customer_id.in_(ids)))
    await session.execute(delete(ActionToken).where(ActionToken.customer_id.in_(ids)))
    await _drop_queued_messages(session, ids)
    # What was sent stays in the log (channel, kind, when), without where it went.
    await session.execute(
        update(Notification)
        .where(Notification.customer_id.in_(ids))
        .values(recipient=None, error=None)
        .execution_options(synchronize_session=False)
    )
    # Gift messages and membership numbers identify or describe the person.
    await session.execute(
        update(GiftCard)
        .where(GiftCard.customer_id.in_(ids))
        .values(message=None)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(Membership)
        .where(Membership.customer_id.in_(ids))
        .values(number=None)
        .execution_options(synchronize_session=False)
    )
    await _scrub_activity_log(session, ids)
    return counts


async def _merged_into(session: AsyncSession, customer_id: int) -> list[Customer]:
    """The records merged into this customer, directly or along a chain of merges, locked."""
    found: list[Customer] = []
    frontier = [customer_id]
    while frontier:
        rows = await session.scalars(
            select(Customer)
            .where(Customer.merged_into_id.in_(frontier))
            .order_by(Customer.id)
            .with_for_update()
        )
        batch = list(rows)
        found.extend(batch)
        frontier = [c.id for c in batch]
    return found


async def erase_customer(
    sessions: async_sessionmaker[AsyncSession],
    caller: Caller,
    customer_id: int,
    *,
    expected_version: int | None = None,
    idempotency_key: str | None = None,
) -> int:
    """Erase a customer's personal data for good (GDPR), keeping orders and ledgers.

    The record stays, ERASED and holding no personal data, so that its orders, points,
    credit and gift cards keep pointing somewhere; addresses, notes, custom field
    values and emailed links are deleted, queued messages dropped, notification
    recipients and the activity log's messages and personal values blanked, every session
    ended. Records earlier merged into this customer describe the same person and are
    erased with it. Nothing can change an erased record afterwards. The CUSTOMER_ERASED
    event names no personal data. Returns the customer's id.
    """
    action = CustomerAction("customerErase", caller, customer_id, expected_version)
    merged: list[Customer] = []  # found and locked by `erase`, erased after it

    # The events are logged once `erase` returns: after the scrub, which would blank them.
    async def erase(session: AsyncSession, customer: Customer) -> Outcome[Customer]:
        merged[:] = await _merged_into(session, customer.id)
        counts = await _remove_personal_rows(session, [customer.id, *(r.id for r in merged)])
        removed = ", ".join(f"{kind}: {n}" for kind, n in counts.items() if n)
        return _erased(customer, f" (deleted {removed})" if removed else "")

    async def work(session: AsyncSession) -> int:
        customer = await act_on_locked_customer(session, action, erase)
        together = f" together with {customer.reference}, which it was merged into"

        async def erase_with_it(_session: AsyncSession, record: Customer) -> Outcome[Customer]:
            return _erased(record, together)

        # Whoever may erase the customer erases the records merged into it, which are
        # MERGED (hence final) and already locked.
        with_it = replace(caller, customer_id=None)
        for record in merged:
            merged_action = CustomerAction(action.operation, with_it, record.id, allow_final=True)
            await act_on_locked_customer(session, merged_action, erase_with_it)
        return customer.id

    return await in_transaction(
        sessions,
        once(caller, action.operation, idempotency_key, action.fingerprint(), work, of_value()),
    )


def _erased(record: Customer, detail: str) -> Outcome[Customer]:
    """The record emptied and ERASED, its CUSTOMER_ERASED event naming no personal data."""
    old_status = record.status
    _clear_person(record)
    record.status = "ERASED"
    return changed(
        record,
        "CUSTOMER_ERASED",
        "Personal data erased" + detail,
        [change("status", old_status, "ERASED")],
    )
