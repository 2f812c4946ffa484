"""The `idempotencyKey` input field, the same on every mutation that a partner retries."""

from __future__ import annotations

from typing import Any

import strawberry

DESCRIPTION = (
    "Makes retries safe: the same key and input return the first result and write nothing "
    "more; the key with other input is IDEMPOTENCY_KEY_REUSED. Kept per caller."
)


def idempotency_key_field() -> Any:
    """The optional `idempotencyKey: String` of a mutation's input."""
    return strawberry.field(default=None, description=DESCRIPTION)
