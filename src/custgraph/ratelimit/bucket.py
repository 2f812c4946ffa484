"""A leaky bucket per caller, kept in the database and moved by one statement."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

# The level left after leaking since the last accepted request, never below zero.
_LEAKED = (
    "CASE WHEN b.level - :leak * (:now - b.updated_at) > 0"
    " THEN b.level - :leak * (:now - b.updated_at) ELSE 0 END"
)
# One atomic upsert for PostgreSQL and SQLite (3.24+) alike: the row is locked while it
# is read and written, so concurrent requests of one caller never both fit in the room
# that only one had. A refused request leaves the row as it was; `updated_at` coming
# back unchanged is how the caller tells a refusal.
_TAKE = text(
    f"""
    INSERT INTO rate_limit_buckets AS b (key, level, updated_at)
    VALUES (:key, CAST(:cost AS DOUBLE PRECISION), CAST(:now AS DOUBLE PRECISION))
    ON CONFLICT (key) DO UPDATE SET
      level = CASE WHEN {_LEAKED} + :cost <= :capacity THEN {_LEAKED} + :cost ELSE b.level END,
      updated_at = CASE WHEN {_LEAKED} + :cost <= :capacity THEN :now ELSE b.updated_at END
    RETURNING level, updated_at
    """
)


# The points a request was charged beyond its actual cost go back, never below empty.
# The level is as of `updated_at`, which stays: taking points off it later is the same as
# having poured fewer then.
_REFUND = text(
    """
    UPDATE rate_limit_buckets
    SET level = CASE WHEN level - :points > 0 THEN level - :points ELSE 0 END
    WHERE key = :key
    RETURNING level, updated_at
    """
)


@dataclass(frozen=True)
class BucketState:
    """Where a caller's bucket stands after a request was counted (or refused)."""

    accepted: bool
    capacity: float
    remaining: float
    leak_per_second: float
    retry_after_seconds: int
    # The unused points went back already: a request answered again (for a session that
    # changed meanwhile) is refunded once.
    refunded: bool = False

    def after_refund(self, remaining: float) -> BucketState:
        """The same state with the room left after the unused points went back."""
        return BucketState(
            self.accepted,
            self.capacity,
            remaining,
            self.leak_per_second,
            self.retry_after_seconds,
            refunded=True,
        )

    def as_extension(self) -> dict[str, float]:
        return {
            "capacity": self.capacity,
            "remaining": round(self.remaining, 3),
            "leakPerSecond": self.leak_per_second,
        }


async def take(
    engine: AsyncEngine,
    key: str,
    cost: int,
    capacity: float,
    leak_per_second: float,
    now: float | None = None,
) -> BucketState:
    """Pour `cost` points into `key`'s bucket if they fit; one statement either way."""
    if cost > capacity:
        # Never fits, however long the caller waits: refused without a round trip.
        return BucketState(False, capacity, capacity, leak_per_second, 0)
    now = time.time() if now is None else now
    params = {
        "key": key,
        "cost": float(cost),
        "now": now,
        "capacity": float(capacity),
        "leak": float(leak_per_second),
    }
    async with engine.begin() as connection:
        level, updated_at = (await connection.execute(_TAKE, params)).one()
    if updated_at == now:
        return BucketState(True, capacity, capacity - level, leak_per_second, 0)
    leaked = max(level - leak_per_second * (now - updated_at), 0.0)
    wait = (leaked + cost - capacity) / leak_per_second
    return BucketState(False, capacity, capacity - leaked, leak_per_second, max(math.ceil(wait), 1))


async def refund(
    engine: AsyncEngine,
    key: str,
    points: float,
    capacity: float,
    leak_per_second: float,
    now: float | None = None,
) -> float | None:
    """Give `points` back to `key`'s bucket; the room left in it, None without a bucket."""
    async with engine.begin() as connection:
        row = (await connection.execute(_REFUND, {"key": key, "points": float(points)})).first()
    if row is None:
        return None
    now = time.time() if now is None else now
    level, updated_at = float(row.level), float(row.updated_at)
    return capacity - max(level - leak_per_second * (now - updated_at), 0.0)
