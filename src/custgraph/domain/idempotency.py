"""Idempotency keys: a retry returns the first result; other input with the key is refused."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from custgraph.db.models import IdempotencyRecord
from custgraph.domain.caller import Caller
from custgraph.domain.errors import DomainError

MAX_KEY_LENGTH = 200


def _fingerprint(request: dict[str, Any]) -> str:
    canonical = json.dumps(request, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


async def _stored_result(
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


def _store_result(
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


T = TypeVar("T")
Work = Callable[[AsyncSession], Awaitable[T]]


@dataclass(frozen=True)
class Replay(Generic[T]):
    """How an action's result is kept for its key, and given back to a retry."""

    remember: Callable[[T], dict[str, Any]]
    replay: Callable[[AsyncSession, dict[str, Any]], Awaitable[T]]


def of_row(model: type[T], what: str = "record") -> Replay[T]:
    """A result that is a row: kept by id, given back as the row is now."""

    async def replay(session: AsyncSession, stored: dict[str, Any]) -> T:
        row = await session.get(model, stored["id"])
        if row is None:
            raise DomainError(
                "NOT_FOUND",
                f"The {what} this idempotency key made was removed since.",
                ["idempotencyKey"],
            )
        return row

    return Replay(lambda row: {"id": row.id}, replay)  # type: ignore[attr-defined]


def of_customer_row(
    model: type[Any], id_key: str, row_attribute: str, build: Callable[[int, Any], T]
) -> Replay[T]:
    """A result holding a customer's id and a row of theirs (a ledger entry, a gift card):
    kept as both ids under "customer_id" and `id_key`; a retry gets the row as it is now,
    or None when it was removed since."""

    def remember(result: Any) -> dict[str, Any]:
        return {"customer_id": result.customer_id, id_key: getattr(result, row_attribute).id}

    async def replay(session: AsyncSession, stored: dict[str, Any]) -> T:
        return build(stored["customer_id"], await session.get(model, stored[id_key]))

    return Replay(remember, replay)


def of_customer_id() -> Replay[int]:
    """A result that is the id of the customer acted on, kept as {"customerId": id}."""

    async def replay(_session: AsyncSession, stored: dict[str, Any]) -> int:
        return int(stored["customerId"])

    return Replay(lambda customer_id: {"customerId": customer_id}, replay)


def of_value() -> Replay[Any]:
    """A result that is a plain value (an id), kept as it is."""

    async def replay(_session: AsyncSession, stored: dict[str, Any]) -> Any:
        return stored["value"]

    return Replay(lambda value: {"value": value}, replay)


def once(
    caller: Caller,
    operation: str,
    key: str | None,
    request: dict[str, Any],
    work: Work[T],
    kept: Replay[T],
) -> Work[T]:
    """`work` made idempotent by `key`: within the action's transaction, a retry with the
    key and the same `request` gets the first result back and does nothing; the key with
    another request is IDEMPOTENCY_KEY_REUSED. Without a key, `work` as it is."""
    if key is None:
        return work

    async def guarded(session: AsyncSession) -> T:
        stored = await _stored_result(session, caller, operation, key, request)
        if stored is not None:
            return await kept.replay(session, stored)
        result = await work(session)
        _store_result(session, caller, operation, key, request, kept.remember(result))
        return result

    return guarded
