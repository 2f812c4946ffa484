"""The cells of an export row, as text, and the guard that keeps spreadsheets from running them."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TypeAlias

Cell: TypeAlias = str | int | Decimal | bool | date | datetime | None
"""One value of an export row; a datetime is always timezone-aware (UTC)."""

# What a spreadsheet takes for the start of a formula (OWASP's CSV injection list).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")


def guarded_text(value: str) -> str:
    """Text as a spreadsheet may not run it: a value a spreadsheet would read as a formula
    (first character one of = + - @ TAB CR, after leading whitespace too) gets a leading
    apostrophe, unless the whole value is a plain number (an optional sign, digits, at most one
    dot), which cannot call anything (phones like +4930123456, amounts like -12.50 stay as they
    are)."""
    if not value.startswith(_FORMULA_STARTS) and not value.lstrip().startswith(_FORMULA_STARTS):
        return value
    if _PLAIN_NUMBER.fullmatch(value):
        return value
    return "'" + value


def as_utc(value: datetime) -> datetime:
    """The same instant in UTC; a naive datetime is refused, as its zone could only be guessed."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"export datetimes must be timezone-aware, got {value!r}")
    return value.astimezone(UTC)


def as_text(value: Cell) -> str:
    """A cell as plain text (not guarded): what CSV and PDF show."""
    # bool before int and datetime before date: each is a subclass of the other.
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        # "f" never writes an exponent (str(Decimal("1E+3")) would be "1E+3").
        return format(value, "f")
    if isinstance(value, datetime):
        return as_utc(value).isoformat().removesuffix("+00:00") + "Z"
    return value.isoformat()
