"""Admin-defined custom fields: their definitions and the typed values customers hold.

Values are stored as text in one canonical form per type, so equal values are equal
strings and readers parse them without guessing:

- TEXT: as given (at most 1000 characters, not blank);
- INTEGER: decimal digits with an optional minus sign, within GraphQL's 32-bit `Int`
  (the range clients can read back as `integerValue`);
- DECIMAL: a plain decimal with exactly two places (`25000.00`), as the seeded data and
  money amounts are written; input may have at most two places (more is INVALID, never
  rounded) and at most 16 digits before the point;
- DATE: ISO 8601 `YYYY-MM-DD`;
- BOOLEAN: `true` or `false` (input in any letter case).
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from custgraph.db.models import Customer, CustomFieldDefinition, CustomFieldValue
from custgraph.domain.caller import Caller
from custgraph.domain.customer_action import (
    CustomerAction,
    Outcome,
    act_on_locked_customer,
    changed,
    unchanged,
)
from custgraph.domain.errors import DomainError
from custgraph.domain.events import change
from custgraph.domain.transaction import in_transaction

TYPES = ("TEXT", "INTEGER", "DECIMAL", "DATE", "BOOLEAN")
KEY_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,63}")
MAX_LABEL_LENGTH = 100
MAX_DESCRIPTION_LENGTH = 500
MAX_TEXT_LENGTH = 1000
MAX_DECIMAL_INTEGER_DIGITS = 16
INT32 = (-(2**31), 2**31 - 1)
_INTEGER = re.compile(r"[+-]?\d+")
_DECIMAL = re.compile(r"[+-]?\d+(\.\d{1,2})?")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
MAX_MESSAGE_LENGTH = 500


@dataclass(frozen=True)
class FieldValue:
    """One value to set: `value` None removes the customer's value of `key`."""

    key: str
    value: str | None


async def define_custom_field(
    sessions: async_sessionmaker[AsyncSession],
    *,
    key: str,
    label: str,
    type: str,
    description: str | None = None,
) -> CustomFieldDefinition:
    """Create a custom field definition that customers can then hold values of.

    The key matches `^[a-z][a-z0-9_]{0,63}$` and is TAKEN when a definition has it: a
    definition's type never changes, because the values stored under it are in that
    type's canonical form. This action belongs to no customer, so it writes no customer
    event.
    """
    clean_key = key.strip()
    if not KEY_PATTERN.fullmatch(clean_key):
        raise DomainError(
            "INVALID",
            "Keys start with a lower-case letter, then up to 63 lower-case letters, "
            "digits or underscores.",
            ["key"],
        )
    clean_label = label.strip()
    if not clean_label:
        raise DomainError("REQUIRED", "A label is required.", ["label"])
    if len(clean_label) > MAX_LABEL_LENGTH:
        raise DomainError(
            "TOO_LONG", f"Labels have at most {MAX_LABEL_LENGTH} characters.", ["label"]
        )
    if type not in TYPES:
        raise DomainError("INVALID", f"Unknown type {type}.", ["type"])
    clean_description = (description or "").strip() or None
    if clean_description is not None and len(clean_description) > MAX_DESCRIPTION_LENGTH:
        raise DomainError(
            "TOO_LONG",
            f"Descriptions have at most {MAX_DESCRIPTION_LENGTH} characters.",
            ["description"],
        )

    async def work(session: AsyncSession) -> CustomFieldDefinition:
        taken = await session.scalar(
            select(CustomFieldDefinition.id).where(CustomFieldDefinition.key == clean_key)
        )
        if taken is not None:
            raise DomainError("TAKEN", f"A custom field {clean_key} exists.", ["key"])
        definition = CustomFieldDefinition(
            key=clean_key, label=clean_label, type=type, description=clean_description
        )
        session.add(definition)
        try:
            await session.flush()
        except IntegrityError:
            # Defined concurrently by someone else between our check and our insert.
            raise DomainError("TAKEN", f"A custom field {clean_key} exists.", ["key"]) from None
        return definition

    return await in_transaction(sessions, work)


async def set_custom_fields(
    sessions: async_sessionmaker[AsyncSession],
    caller: Caller,
    customer_id: int,
    values: Sequence[FieldValue],
    *,
    expected_version: int | None = None,
) -> int:
    """Set or remove the customer's values of custom fields, all or none.

    Each value is checked against its definition's type and stored in canonical form.
    NOT_FOUND on `values.i.key` for an unknown key, INVALID there for a key given twice;
    INVALID on `values.i.value` for a value its type refuses (TOO_LONG for text over
    1000 characters). Setting what is already stored, or removing what is not there,
    changes nothing: no version bump, no event. Returns the customer's id.
    """
    action = CustomerAction("customerSetCustomFields", caller, customer_id, expected_version)

    async def work(session: AsyncSession) -> int:
        # The values are checked against their definitions before the customer is
        # locked, so a bad key or value is reported ahead of a missing customer or a
        # stale version, and no lock is held for input that is refused anyway.
        wanted = _canonical_values(values, await _definitions(session, values))

        async def act(session: AsyncSession, customer: Customer) -> Outcome[int]:
            return await _set_values(session, customer, wanted)

        return await act_on_locked_customer(session, action, act)

    return await in_transaction(sessions, work)


async def _set_values(
    session: AsyncSession,
    customer: Customer,
    wanted: list[tuple[CustomFieldDefinition, str | None]],
) -> Outcome[int]:
    stored = {
        row.definition_id: row
        for row in await session.scalars(
            select(CustomFieldValue).where(
                CustomFieldValue.customer_id == customer.id,
                CustomFieldValue.definition_id.in_([d.id for d, _ in wanted]),
            )
        )
    }
    now = datetime.now(UTC)
    changes = []
    for definition, text in wanted:
        row = stored.get(definition.id)
        old = row.value if row is not None else None
        if old == text:
            continue
        if text is None:
            if row is not None:
                await session.delete(row)
        elif row is None:
            session.add(
                CustomFieldValue(
                    customer_id=customer.id,
                    definition_id=definition.id,
                    value=text,
                    updated_at=now,
                )
            )
        else:
            row.value = text
            row.updated_at = now
        changes.append(change(f"customFields.{definition.key}", old, text))
    if not changes:
        return unchanged(customer.id)
    keys = ", ".join(c["field"].removeprefix("customFields.") for c in changes)
    return changed(
        customer.id,
        "CUSTOM_FIELDS_SET",
        textwrap.shorten(f"Custom fields set: {keys}", MAX_MESSAGE_LENGTH, placeholder=" …"),
        changes,
    )


async def _definitions(
    session: AsyncSession, values: Sequence[FieldValue]
) -> dict[str, CustomFieldDefinition]:
    keys = {item.key for item in values}
    if not keys:
        return {}
    rows = await session.scalars(
        select(CustomFieldDefinition).where(CustomFieldDefinition.key.in_(keys))
    )
    return {row.key: row for row in rows}


def _canonical_values(
    values: Sequence[FieldValue], definitions: dict[str, CustomFieldDefinition]
) -> list[tuple[CustomFieldDefinition, str | None]]:
    result: list[tuple[CustomFieldDefinition, str | None]] = []
    seen: set[str] = set()
    for index, item in enumerate(values):
        definition = definitions.get(item.key)
        if definition is None:
            raise DomainError(
                "NOT_FOUND", f"No custom field {item.key[:64]}.", ["values", str(index), "key"]
            )
        if item.key in seen:
            raise DomainError(
                "INVALID", f"{item.key} is given twice.", ["values", str(index), "key"]
            )
        seen.add(item.key)
        text = None
        if item.value is not None:
            text = canonical_value(definition.type, item.value, ["values", str(index), "value"])
        result.append((definition, text))
    return result


def canonical_value(type: str, value: str, field: Sequence[str]) -> str:
    """`value` in the canonical text form of `type`; INVALID (or TOO_LONG) on `field`."""
    if type == "TEXT":
        if not value.strip():
            raise DomainError("INVALID", "Send null to remove a value, not a blank.", field)
        if len(value) > MAX_TEXT_LENGTH:
            raise DomainError(
                "TOO_LONG", f"Text values have at most {MAX_TEXT_LENGTH} characters.", field
            )
        return value
    text = value.strip()
    if type == "INTEGER":
        if not _INTEGER.fullmatch(text) or not INT32[0] <= int(text) <= INT32[1]:
            raise DomainError(
                "INVALID", f"Expected a whole number from {INT32[0]} to {INT32[1]}.", field
            )
        return str(int(text))
    if type == "DECIMAL":
        return _canonical_decimal(text, field)
    if type == "DATE":
        return _canonical_date(text, field)
    if type == "BOOLEAN":
        if text.lower() not in ("true", "false"):
            raise DomainError("INVALID", "Expected true or false.", field)
        return text.lower()
    raise AssertionError(f"unknown custom field type {type}")


def _canonical_decimal(text: str, field: Sequence[str]) -> str:
    whole = text.lstrip("+-").partition(".")[0].lstrip("0")
    if not _DECIMAL.fullmatch(text) or len(whole) > MAX_DECIMAL_INTEGER_DIGITS:
        raise DomainError(
            "INVALID",
            "Expected a decimal such as 1250.50, with at most two decimal places.",
            field,
        )
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise DomainError("INVALID", "Expected a decimal such as 1250.50.", field) from None
    # Zero has one form: `-0.00` would otherwise differ from `0.00`.
    return f"{abs(number) if number == 0 else number:.2f}"


def _canonical_date(text: str, field: Sequence[str]) -> str:
    try:
        if not _DATE.fullmatch(text):
            raise ValueError(text)
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise DomainError("INVALID", "Expected a date as YYYY-MM-DD.", field) from None
