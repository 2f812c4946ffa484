"""What one cell of an export holds, and text a spreadsheet may not run as a formula."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal

Cell = str | int | Decimal | bool | date | datetime | None

# A spreadsheet reads a cell starting with one of these as a formula (OWASP's CSV
# injection): =HYPERLINK(…), +cmd|…, -2+3, @SUM(…), and a tab or return before them.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A number alone calls nothing: phones (+4930…) and amounts (-12.50) stay as they are.
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")


def guarded_text(value: str) -> str:
    """The text, with a leading apostrophe when a spreadsheet would run it as a formula."""
    if value.lstrip(" ").startswith(_FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def as_text(value: Cell) -> str:
    """A cell as text, as CSV and PDF show it: decimals exact, times ISO 8601 in UTC."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)
