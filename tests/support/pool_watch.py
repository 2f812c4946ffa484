"""How many connections of an engine's pool requests hold at once.

The connection kept between requests for direct reads (db/kept_connection.py) is
checked out of the pool but held by no request: it is not counted.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from custgraph.db import kept_connection


class Lent:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self.checked_out = 0
        self.peak = 0

    @property
    def now(self) -> int:
        return self.checked_out - kept_connection.count(self._engine)

    def restart(self) -> None:
        """Count the peak from here (connections lent now still count)."""
        self.peak = self.now


@contextlib.contextmanager
def lent_connections(engine: AsyncEngine) -> Iterator[Lent]:
    """Follows the pool's checkouts and checkins (the Reader's direct connections too)."""
    lent = Lent(engine)
    pool = engine.sync_engine.pool
    lent.checked_out = pool.checkedout()  # type: ignore[attr-defined]

    def checkout(*_: Any) -> None:
        lent.checked_out += 1
        lent.peak = max(lent.peak, lent.now)

    def checkin(*_: Any) -> None:
        lent.checked_out -= 1

    event.listen(pool, "checkout", checkout)
    event.listen(pool, "checkin", checkin)
    try:
        yield lent
    finally:
        event.remove(pool, "checkout", checkout)
        event.remove(pool, "checkin", checkin)
