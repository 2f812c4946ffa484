"""Checking and normalising the editable fields of a customer record."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation

import phonenumbers

from custgraph.domain.errors import DomainError

GENDERS = frozenset({"FEMALE", "MALE", "OTHER", "UNSPECIFIED"})
_LOCALE = re.compile(r"^[a-z]{2,3}(-[A-Z]{2})?$")
_COUNTRIES = frozenset(phonenumbers.SUPPORTED_REGIONS)


def text(
    value: str | None, field: Sequence[str], max_length: int, required: bool = False
) -> str | None:
    """Trimmed text, None for empty (unless required)."""
    cleaned = (value or "").strip()
    if not cleaned:
        if required:
            raise DomainError("REQUIRED", "A value is required.", field)
        return None
    if len(cleaned) > max_length:
        raise DomainError("TOO_LONG", f"At most {max_length} characters.", field)
    return cleaned


def phone(value: str | None, field: Sequence[str]) -> str | None:
    """A phone number in E.164 (`+4930123456`); it must carry its country code."""
    if value is None or not value.strip():
        return None
    try:
        parsed = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        raise DomainError(
            "INVALID", "Give the phone number in international form, e.g. +4930123456.", field
        ) from None
    if not phonenumbers.is_valid_number(parsed):
        raise DomainError("INVALID", "This is not a valid phone number.", field)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def birth_date(value: date | None, field: Sequence[str]) -> date | None:
    if value is None:
        return None
    if value > datetime.now(UTC).date():
        raise DomainError("INVALID", "A date of birth cannot be in the future.", field)
    if value.year < 1900:
        raise DomainError("INVALID", "A date of birth before 1900 is not plausible.", field)
    return value


def gender(value: str | None, field: Sequence[str]) -> str:
    if value is None:
        return "UNSPECIFIED"
    if value not in GENDERS:
        raise DomainError("INVALID", f"Gender is one of {', '.join(sorted(GENDERS))}.", field)
    return value


def locale(value: str | None, field: Sequence[str]) -> str | None:
    cleaned = text(value, field, 16)
    if cleaned is not None and not _LOCALE.match(cleaned):
        raise DomainError("INVALID", "A locale looks like `de` or `de-DE`.", field)
    return cleaned


def country(value: str | None, field: Sequence[str]) -> str:
    cleaned = (value or "").strip().upper()
    if not cleaned:
        raise DomainError("REQUIRED", "A country is required.", field)
    if len(cleaned) != 2 or cleaned not in _COUNTRIES:
        raise DomainError("INVALID", "Give the country as an ISO 3166-1 alpha-2 code.", field)
    return cleaned


def amount(
    value: str | None, field: Sequence[str], *, maximum: Decimal | None = None
) -> Decimal | None:
    """A non-negative decimal string with at most two places, or None."""
    if value is None:
        return None
    try:
        number = Decimal(value.strip())
    except (InvalidOperation, AttributeError):
        raise DomainError("INVALID", "Give a decimal number such as `1500.00`.", field) from None
    if not number.is_finite() or number.as_tuple().exponent < -2:  # type: ignore[operator]
        raise DomainError("INVALID", "At most two decimal places.", field)
    if number < 0 or (maximum is not None and number > maximum):
        limit = f" and at most {maximum}" if maximum is not None else ""
        raise DomainError("INVALID", f"The value must be at least 0{limit}.", field)
    return number.quantize(Decimal("0.01"))
