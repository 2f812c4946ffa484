"""Opaque keyset cursors: base64 of a JSON list of the sort values and the row id."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from decimal import Decimal
from typing import Any

from custgraph.api_errors import bad_request


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def encode_cursor(*values: Any) -> str:
    payload = json.dumps([_plain(v) for v in values], separators=(",", ":"))
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, argument: str = "after") -> list[Any]:
    """The values of a cursor made by `encode_cursor`; BAD_REQUEST when malformed."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeError):
        raise bad_request(f"`{argument}` is not a valid cursor.") from None
    if not isinstance(values, list) or not values:
        raise bad_request(f"`{argument}` is not a valid cursor.")
    return values


def parse_datetime(value: Any, argument: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise bad_request(f"`{argument}` is not a valid cursor.") from None
    if parsed.tzinfo is None:
        raise bad_request(f"`{argument}` is not a valid cursor.")
    return parsed


def parse_int(value: Any, argument: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise bad_request(f"`{argument}` is not a valid cursor.")
    return value
