"""Merging a duplicate customer (the source) into the record that stays (the target).

`plan_merge` works out everything a merge would do; the preview shows that plan and
`merge_customers` carries out the very same plan, so the two cannot disagree.

Which values the target ends with:

- Person fields (salutation, names, phone, company, gender, date of birth, locale,
  city, identity document): by default the target keeps every value it has, and only
  its empty fields are filled from the source. With `overwrite_target_values`, every
  non-empty source value replaces the target's. An empty source value never blanks
  the target. The identity document moves as a whole (type and number together).
- Email: the source always ends without one (so that the address is free); it moves to
  the target, with its verified flag, only when the target has none: the sign-in email
  of the record that stays is never replaced by a merge.
- Custom fields: the same rule as person fields, field by field.
- Tags: the union, the target's first.
- Addresses, orders, notes, gift cards, memberships and the activity log move to the
  target; the target keeps its default addresses, the moved ones are not defaults.
- Points and credit move as ledger entries (source MERGE, one on each side); order
  count and revenue are recomputed from the target's orders.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import InstrumentedAttribute

from custgraph.db.models import (
    Address,
    Customer,
    CustomerEvent,
    CustomFieldDefinition,
    CustomFieldValue,
    GiftCard,
    Membership,
    Note,
    Order,
)
from custgraph.domain.caller import Caller
from custgraph.domain.customer_lock import lock_customer, mark_changed
from custgraph.domain.errors import DomainError
from custgraph.domain.events import change, record_event
from custgraph.domain.idempotency import Replay, once
from custgraph.domain.ledgers import (
    MAX_POINTS_BALANCE,
    append_credit_entry,
    append_points_entry,
)
from custgraph.domain.references import refresh_search_text
from custgraph.domain.transaction import in_transaction

# Person fields filled or overwritten by the merge: column -> the Customer field name.
PERSON_FIELDS = {
    "salutation": "salutation",
    "first_name": "firstName",
    "last_name": "lastName",
    "phone": "phone",
    "company": "company",
    "gender": "gender",
    "date_of_birth": "dateOfBirth",
    "locale": "locale",
    "city": "city",
}
NO_GENDER = "UNSPECIFIED"
MERGE_SOURCE = "MERGE"  # the `source` of the points entries a merge writes
# Rows that change owner: the name the plan counts them under -> their owner column.
MOVED_ROWS: dict[str, InstrumentedAttribute[int]] = {
    "addresses": Address.customer_id,
    "orders": Order.customer_id,
    "notes": Note.customer_id,
    "gift_cards": GiftCard.customer_id,
    "memberships": Membership.customer_id,
    "events": CustomerEvent.customer_id,
}
# Target values logged when the merge changes them: Customer field name -> column.
TARGET_TOTALS = {
    "tags": "tags",
    "pointsBalance": "points_balance",
    "creditBalance": "credit_balance",
    "orderCount": "order_count",
    "totalRevenue": "total_revenue",
}


@dataclass(frozen=True)
class MergeRequest:
    source_id: int
    target_id: int
    overwrite_target_values: bool = False
    expected_source_version: int | None = None
    expected_target_version: int | None = None


@dataclass(frozen=True)
class FieldChange:
    """A target field whose value the merge changes, as the log and preview show it."""

    field: str
    current: str | None
    result: str | None


@dataclass(frozen=True)
class CustomFieldMove:
    definition_id: int
    key: str
    value: str
    target_has_one: bool


@dataclass(frozen=True)
class MergePlan:
    """Everything a merge of `source_id` into `target_id` does, worked out beforehand."""

    source_id: int
    target_id: int
    moved: dict[str, int]  # rows per MOVED_ROWS name
    points: int
    credit: Decimal
    tags: list[str]
    person: dict[str, Any]  # target column -> new value
    email: str | None  # moves to the target when set
    email_verified: bool
    custom_fields: list[CustomFieldMove]
    field_changes: list[FieldChange]


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == NO_GENDER


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value.isoformat() if isinstance(value, date) else str(value)


def _takes(target_value: Any, source_value: Any, overwrite: bool) -> bool:
    """Whether the target ends with the source's value (see the module docstring)."""
    if _is_empty(source_value) or source_value == target_value:
        return False
    return overwrite or _is_empty(target_value)


def _id_document(customer: Customer) -> str | None:
    """The identity document as one value: a type without a number is no document."""
    if customer.id_document_type and customer.id_document_number:
        return f"{customer.id_document_type} {customer.id_document_number}"
    return None


def _person_plan(
    source: Customer, target: Customer, overwrite: bool
) -> tuple[dict[str, Any], list[FieldChange]]:
    person: dict[str, Any] = {}
    changes: list[FieldChange] = []
    for column, name in PERSON_FIELDS.items():
        old, new = getattr(target, column), getattr(source, column)
        if _takes(old, new, overwrite):
            person[column] = new
            changes.append(FieldChange(name, _text(old), _text(new)))
    old_doc, new_doc = _id_document(target), _id_document(source)
    if _takes(old_doc, new_doc, overwrite):
        person["id_document_type"] = source.id_document_type
        person["id_document_number"] = source.id_document_number
        changes.append(FieldChange("idDocument", old_doc, new_doc))
    return person, changes


def _union(first: list[str], second: list[str]) -> list[str]:
    seen = {t.lower() for t in first}
    result = list(first)
    for tag in second:
        if tag.lower() not in seen:
            seen.add(tag.lower())
            result.append(tag)
    return result


async def _custom_field_plan(
    session: AsyncSession, source_id: int, target_id: int, overwrite: bool
) -> tuple[list[CustomFieldMove], list[FieldChange]]:
    rows = await session.execute(
        select(
            CustomFieldValue.customer_id,
            CustomFieldValue.definition_id,
            CustomFieldValue.value,
            CustomFieldDefinition.key,
        )
        .join(CustomFieldDefinition, CustomFieldDefinition.id == CustomFieldValue.definition_id)
        .where(CustomFieldValue.customer_id.in_((source_id, target_id)))
        .order_by(CustomFieldDefinition.key)
    )
    target_values: dict[int, str] = {}
    source_values: list[tuple[int, str, str]] = []
    for row in rows:
        if row.customer_id == target_id:
            target_values[row.definition_id] = row.value
        else:
            source_values.append((row.definition_id, row.key, row.value))
    moves, changes = [], []
    for definition_id, key, value in source_values:
        current = target_values.get(definition_id)
        if _takes(current, value, overwrite):
            moves.append(CustomFieldMove(definition_id, key, value, current is not None))
            changes.append(FieldChange(f"customFields.{key}", current, value))
    return moves, changes


async def _moved_counts(session: AsyncSession, source_id: int) -> dict[str, int]:
    counts = {
        name: select(func.count()).where(owner == source_id).scalar_subquery().label(name)
        for name, owner in MOVED_ROWS.items()
    }
    row = (await session.execute(select(*counts.values()))).one()
    return {name: int(getattr(row, name)) for name in counts}


async def plan_merge(
    session: AsyncSession, source: Customer, target: Customer, overwrite: bool
) -> MergePlan:
    """What merging `source` into `target` does, read in the caller's transaction.

    Raises what would refuse the merge beyond the two customers' states.
    """
    if target.points_balance + source.points_balance > MAX_POINTS_BALANCE:
        raise DomainError(
            "INVALID", "The target's points balance would grow too large.", ["sourceId"]
        )
    person, changes = _person_plan(source, target, overwrite)
    email = source.email if target.email is None and source.email is not None else None
    if email is not None:
        changes.append(FieldChange("email", None, email))
        if source.email_verified != target.email_verified:
            changes.append(
                FieldChange("emailVerified", str(target.email_verified), str(source.email_verified))
            )
    custom_fields, custom_changes = await _custom_field_plan(
        session, source.id, target.id, overwrite
    )
    return MergePlan(
        source_id=source.id,
        target_id=target.id,
        moved=await _moved_counts(session, source.id),
        points=source.points_balance,
        credit=source.credit_balance,
        tags=_union(list(target.tags or ()), list(source.tags or ())),
        person=person,
        email=email,
        email_verified=source.email_verified if email is not None else target.email_verified,
        custom_fields=custom_fields,
        field_changes=changes + custom_changes,
    )


async def _lock(
    session: AsyncSession, customer_id: int, expected: int | None, id_field: str, version_field: str
) -> Customer:
    try:
        return await lock_customer(session, customer_id, expected, field=id_field)
    except DomainError as error:
        # lock_customer names `expectedVersion`; a merge has one per side.
        if error.code == "CONFLICT":
            raise DomainError(error.code, error.message, [version_field]) from None
        raise


async def _locked_pair(session: AsyncSession, request: MergeRequest) -> tuple[Customer, Customer]:
    """Source and target, locked in ascending id order so that two merges of the same
    pair (in either direction) cannot deadlock."""
    if request.source_id == request.target_id:
        raise DomainError("INVALID", "A customer cannot be merged into itself.", ["targetId"])
    sides = {
        request.source_id: ("sourceId", "expectedSourceVersion", request.expected_source_version),
        request.target_id: ("targetId", "expectedTargetVersion", request.expected_target_version),
    }
    locked = {}
    for customer_id in sorted(sides):
        id_field, version_field, expected = sides[customer_id]
        locked[customer_id] = await _lock(session, customer_id, expected, id_field, version_field)
    return locked[request.source_id], locked[request.target_id]


async def preview_merge(
    sessions: async_sessionmaker[AsyncSession], request: MergeRequest
) -> MergePlan:
    """The plan `merge_customers` would carry out now, refused exactly as it would be."""

    async def work(session: AsyncSession) -> MergePlan:
        source, target = await _locked_pair(session, request)
        return await plan_merge(session, source, target, request.overwrite_target_values)

    return await in_transaction(sessions, work)


async def _move_rows(session: AsyncSession, plan: MergePlan) -> None:
    # Moved addresses are never defaults: the target keeps its own, and at most one
    # default of each kind is allowed per customer.
    await session.execute(
        update(Address)
        .where(Address.customer_id == plan.source_id)
        .values(customer_id=plan.target_id, is_default_billing=False, is_default_shipping=False)
        .execution_options(synchronize_session=False)
    )
    for name, owner in MOVED_ROWS.items():
        if name == "addresses":
            continue
        await session.execute(
            update(owner.class_)
            .where(owner == plan.source_id)
            .values(customer_id=plan.target_id)
            .execution_options(synchronize_session=False)
        )


async def _move_custom_fields(session: AsyncSession, plan: MergePlan) -> None:
    now = datetime.now(UTC)
    for move in plan.custom_fields:
        if move.target_has_one:
            await session.execute(
                update(CustomFieldValue)
                .where(
                    CustomFieldValue.customer_id == plan.target_id,
                    CustomFieldValue.definition_id == move.definition_id,
                )
                .values(value=move.value, updated_at=now)
                .execution_options(synchronize_session=False)
            )
        else:
            session.add(
                CustomFieldValue(
                    customer_id=plan.target_id,
                    definition_id=move.definition_id,
                    value=move.value,
                    updated_at=now,
                )
            )
    # What the target did not take is dropped with the rest of the source's values.
    await session.execute(
        delete(CustomFieldValue)
        .where(CustomFieldValue.customer_id == plan.source_id)
        .execution_options(synchronize_session=False)
    )


async def _move_balances(
    session: AsyncSession,
    caller: Caller,
    source: Customer,
    target: Customer,
    plan: MergePlan,
    currency: str,
) -> None:
    """Points and credit leave the source and reach the target as MERGE ledger entries."""
    into, out_of = f"Merged from {source.reference}", f"Merged into {target.reference}"
    if plan.points:
        await append_points_entry(
            session, source, caller.actor, -plan.points, out_of, MERGE_SOURCE, ["sourceId"]
        )
        await append_points_entry(
            session, target, caller.actor, plan.points, into, MERGE_SOURCE, ["sourceId"]
        )
    if plan.credit:
        await append_credit_entry(
            session, source, caller.actor, -plan.credit, out_of, currency, ["sourceId"]
        )
        await append_credit_entry(
            session, target, caller.actor, plan.credit, into, currency, ["sourceId"]
        )


async def _recount_orders(session: AsyncSession, source: Customer, target: Customer) -> None:
    count, revenue = (
        await session.execute(
            select(func.count(), func.coalesce(func.sum(Order.grand_total), 0)).where(
                Order.customer_id == target.id
            )
        )
    ).one()
    target.order_count, target.total_revenue = int(count), Decimal(revenue)
    source.order_count, source.total_revenue = 0, Decimal(0)


def _summary(plan: MergePlan) -> str:
    parts = [f"{n} {name.replace('_', ' ')}" for name, n in plan.moved.items() if n]
    if plan.points:
        parts.append(f"{plan.points} points")
    if plan.credit:
        parts.append(f"{plan.credit} credit")
    return ", ".join(parts) or "nothing to move"


def _logged(value: Any) -> Any:
    # Tags are logged as JSON, as the tag mutations log them.
    return json.dumps(value, ensure_ascii=False) if isinstance(value, list) else value


def _record_merge_events(
    session: AsyncSession,
    caller: Caller,
    source: Customer,
    target: Customer,
    plan: MergePlan,
    before: dict[str, Any],
) -> None:
    """CUSTOMER_MERGED on both records, with what changed on each.

    `before` holds the source's status and email and the target's tags and aggregates
    as they were before the merge.
    """
    target_changes = [change(c.field, c.current, c.result) for c in plan.field_changes]
    for name, attribute in TARGET_TOTALS.items():
        old, new = before[attribute], getattr(target, attribute)
        if old != new:
            target_changes.append(change(name, _logged(old), _logged(new)))
    record_event(
        session,
        target.id,
        "CUSTOMER_MERGED",
        caller.actor,
        f"Merged {source.reference} into this customer: {_summary(plan)}",
        target_changes,
        request_id=caller.request_id,
    )
    source_changes = [
        change("status", before["status"], source.status),
        change("mergedInto", None, target.reference),
    ]
    if before["email"] is not None:
        source_changes.append(change("email", before["email"], None))
    record_event(
        session,
        source.id,
        "CUSTOMER_MERGED",
        caller.actor,
        f"Merged into {target.reference}: {_summary(plan)}",
        source_changes,
        request_id=caller.request_id,
    )


def _retire_source(source: Customer, target: Customer) -> None:
    source.email = None
    source.status = "MERGED"
    source.merged_into_id = target.id
    source.tags = []  # they live on in the target; a tombstone should not match tag filters
    source.token_version += 1  # ends every session


def _update_target(target: Customer, plan: MergePlan) -> None:
    for column, value in plan.person.items():
        setattr(target, column, value)
    if plan.email is not None:
        target.email = plan.email
        target.email_verified = plan.email_verified
    target.tags = plan.tags


async def merge_customers(
    sessions: async_sessionmaker[AsyncSession],
    caller: Caller,
    request: MergeRequest,
    *,
    currency: str,
    idempotency_key: str | None = None,
) -> MergePlan:
    """Merge the source customer into the target, in one transaction (see the module doc).

    The source ends MERGED, pointing to the target, without email or sessions. Refused
    with INVALID for one customer given twice, NOT_ALLOWED when either is already
    merged or erased, CONFLICT on a stale expected version. Returns the plan carried out
    (to a retry with the idempotency key, what it moved, without the field details).
    """

    async def work(session: AsyncSession) -> MergePlan:
        source, target = await _locked_pair(session, request)
        plan = await plan_merge(session, source, target, request.overwrite_target_values)
        before = {a: getattr(target, a) for a in TARGET_TOTALS.values()}
        before.update(tags=list(target.tags or ()), status=source.status, email=source.email)
        await _move_rows(session, plan)
        await _move_custom_fields(session, plan)
        await _move_balances(session, caller, source, target, plan, currency)
        await _recount_orders(session, source, target)
        _retire_source(source, target)
        # The address must be free before the target takes it (unique, case-insensitive).
        await session.flush()
        _update_target(target, plan)
        for record in (source, target):
            refresh_search_text(record)
            mark_changed(record)
        _record_merge_events(session, caller, source, target, plan, before)
        return plan

    kept = asdict(request)
    return await in_transaction(
        sessions, once(caller, "customerMerge", idempotency_key, kept, work, _MERGED)
    )


def _merge_summary(plan: MergePlan) -> dict[str, Any]:
    return {
        "source_id": plan.source_id,
        "target_id": plan.target_id,
        "moved": plan.moved,
        "points": plan.points,
        "credit": str(plan.credit),
        "tags": plan.tags,
    }


async def _merged_again(_session: AsyncSession, stored: dict[str, Any]) -> MergePlan:
    return MergePlan(
        source_id=stored["source_id"],
        target_id=stored["target_id"],
        moved=stored["moved"],
        points=stored["points"],
        credit=Decimal(stored["credit"]),
        tags=stored["tags"],
        person={},
        email=None,
        email_verified=False,
        custom_fields=[],
        field_changes=[],
    )


_MERGED = Replay[MergePlan](_merge_summary, _merged_again)
