"""The normalised text that customer search matches against."""

from __future__ import annotations

import re

_NON_DIGITS = re.compile(r"\D+")


def customer_search_text(
    reference: str,
    first_name: str | None,
    last_name: str | None,
    email: str | None,
    phone: str | None,
) -> str:
    """Lower-cased reference, names (both orders), email and the phone's digits.

    Kept on the row by every write that changes these fields, so one indexed column
    answers `search` on both databases.
    """
    first = (first_name or "").strip()
    last = (last_name or "").strip()
    parts = [reference, f"{first} {last}", f"{last} {first}", email or ""]
    if phone:
        parts.append(phone)
        parts.append(_NON_DIGITS.sub("", phone))
    return " | ".join(p for p in parts if p.strip()).lower()


def search_terms(search: str) -> list[str]:
    """Split a search string into at most five lower-cased terms; all must match."""
    terms = [t for t in search.lower().split() if t]
    return terms[:5]
