"""Signing webhooks, and checking them on the receiving side.

Every POST carries `X-Custgraph-Timestamp` (unix seconds) and
`X-Custgraph-Signature: v1=<hex>`, the HMAC-SHA256 of `f"{timestamp}.{body}"` keyed
with the subscription's secret (its UTF-8 bytes, exactly as shown when subscribing).
Signing the timestamp with the body lets a receiver refuse an old request replayed
later; `verify` does both checks, in constant time. It needs nothing but the standard
library, so that subscribers can copy it.
"""

from __future__ import annotations

import hashlib
import hmac
import time

SCHEME = "v1"
DEFAULT_TOLERANCE_SECONDS = 300


def sign(secret: str, timestamp: int, body: str | bytes) -> str:
    """The hex HMAC-SHA256 of `f"{timestamp}.{body}"` with `secret`."""
    raw = body.encode() if isinstance(body, str) else body
    message = str(timestamp).encode() + b"." + raw
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: str | bytes) -> str:
    """The value of `X-Custgraph-Signature`: `v1=<hex>`."""
    return f"{SCHEME}={sign(secret, timestamp, body)}"


def verify(
    secret: str,
    timestamp: str | int,
    body: str | bytes,
    header: str,
    tolerance_seconds: float = DEFAULT_TOLERANCE_SECONDS,
    *,
    now: float | None = None,
) -> bool:
    """Whether a webhook is genuine and recent.

    `timestamp` and `header` are the `X-Custgraph-Timestamp` and `X-Custgraph-Signature`
    values, `body` the raw request body (before any JSON parsing). False when the
    timestamp is not a number or lies more than `tolerance_seconds` from now (either
    way: a replay, or clocks far apart), or when no `v1=` signature in the header
    matches. The header may list several signatures, separated by commas or spaces.
    """
    try:
        sent_at = int(timestamp)
    except (TypeError, ValueError):
        return False
    current = time.time() if now is None else now
    if abs(current - sent_at) > tolerance_seconds:
        return False
    expected = sign(secret, sent_at, body).encode()
    matched = False
    for part in header.replace(",", " ").split():
        scheme, _, value = part.partition("=")
        # Every candidate is compared, so the time taken tells nothing about which matched.
        if scheme == SCHEME and hmac.compare_digest(value.encode(), expected):
            matched = True
    return matched
