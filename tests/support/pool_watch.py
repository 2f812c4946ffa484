"""How many connections an engine's pool has lent out at once."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine


class Lent:
    def __init__(self) -> None:
        self.now = 0
        self.peak = 0

    def restart(self) -> None:
        """Count the peak from here (connections lent now still count)."""
        self.peak = self.now


@contextlib.contextmanager
def lent_connections(engine: AsyncEngine) -> Iterator[Lent]:
    """Follows the pool's checkouts and checkins (the Reader's direct connections too)."""
    lent = Lent()
    pool = engine.sync_engine.pool

    def checkout(*_: Any) -> None:
        lent.now += 1
        lent.peak = max(lent.peak, lent.now)

    def checkin(*_: Any) -> None:
        lent.now -= 1

    event.listen(pool, "checkout", checkout)
    event.listen(pool, "checkin", checkin)
    try:
        yield lent
    finally:
        event.remove(pool, "checkout", checkout)
        event.remove(pool, "checkin", checkin)
