"""Idempotency keys: a retry returns the first result; other input with the key is refused."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from custgraph.db.models import IdempotencyRecord
from custgraph.domain.caller import Caller
from custgraph.domain.errors import DomainError

MAX_KEY_LENGTH = 200


def _fingerprint(request: dict[str, Any]) -> str:
    canonical = json.dumps(request, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


async def stored_result(
    session: AsyncSession, caller: Caller, operation: str, key: str | None, request: dict[str, Any]
) -> dict[str, Any] | None:
    """The result stored for this caller's key, or None when the key is new (or absent).

    The same key with different input is IDEMPOTENCY_KEY_REUSED.
    """
    if key is None:
        return None
    if not key or len(key) > MAX_KEY_LENGTH:
        raise DomainError(
            "INVALID",
            f"Idempotency keys have 1 to {MAX_KEY_LENGTH} characters.",
            ["idempotencyKey"],
        )
    record = await session.scalar(
        select(IdempotencyRecord).where(
            IdempotencyRecord.principal_key == caller.principal_key,
            IdempotencyRecord.operation == operation,
            IdempotencyRecord.key == key,
        )
    )
    if record is None:
        return None
    if record.request_hash != _fingerprint(request):
        raise DomainError(
            "IDEMPOTENCY_KEY_REUSED",
            "This idempotency key was used with different input.",
            ["idempotencyKey"],
        )
    return record.response


def store_result(
    session: AsyncSession,
    caller: Caller,
    operation: str,
    key: str | None,
    request: dict[str, Any],
    result: dict[str, Any],
) -> None:
    """Keep `result` for the key, in the action's own transaction."""
    if key is None:
        return
    session.add(
        IdempotencyRecord(
            principal_key=caller.principal_key,
            operation=operation,
            key=key,
            request_hash=_fingerprint(request),
            response=result,
        )
    )
