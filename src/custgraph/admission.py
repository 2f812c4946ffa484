"""Admission by cost: how much work one process executes at once.

A process runs Python for one request at a time; requests in flight only overlap their
waits on the database. Once the CPU is busy, more requests at once only interleave: each
takes longer and holds its rows and response objects longer, caches and the collector
work harder, and the process serves fewer requests in total (16 list pages at once served
about 20 % fewer per second than 2 at once, bench/gc_check.py). So every operation,
query or mutation, takes its requested cost from a budget before it executes and waits,
first come first served, while the budget is spent. List pages of 50 customers (about
3,000 points) run two or so at a time; lists of 100 customers (about 400) side by side,
but no more than `at_once` of them: past that many, the database's backends and the one
server process only wait for each other's cores (16 lists at once served 2-10 % fewer
per second than 6, with twice the p99; bench/README.md). A query under a quarter of that
share (a customer's detail, about 100 points) is short in the database too; how many of
those run at once is not fixed but follows their in-flight time (`CheapQueryLimit`): on
an idle machine 16 at once served more than 6 at the same p99, while on a busy one the
16 stretched each other's time to a p99 five times that of 6.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import AsyncIterator
from typing import Any

# A query under a CHEAP_WEIGHTth of a share counts as cheap (a customer's detail).
CHEAP_WEIGHT = 4


class CheapQueryLimit:
    """How many cheap queries execute at once, adapted to what the process serves.

    Cheap queries barely queue in the database; what they queue for is the process's
    core and those of its database backends, shared with whatever else the machine
    runs. Past the point where the CPU is busy, one more at once adds nothing but the
    time each waits for the others: its in-flight time grows while the number served per
    second does not. So the limit follows the in-flight time, as TCP Vegas follows a
    round trip: each round (as many completions as the limit) its mean in-flight time
    is compared with the least one seen (a query that hardly waited, `floor`), and the
    difference read as queries waiting rather than working, `limit * (1 - floor /
    mean)`. Fewer than `grow_below` waiting: one more at once; more than
    `shrink_above`: one fewer. The least time seen
    is forgotten every `forget_rounds` rounds, so that a database that
    became slower for good is taken as it now is.
    """

    def __init__(
        self,
        least: int = 2,
        most: int = 20,
        grow_below: float = 2.0,
        shrink_above: float = 4.0,
        forget_rounds: int = 100,
    ) -> None:
        self.least = least
        self.most = most
        self.limit = most
        self.floor: float | None = None
        self._grow_below = grow_below
        self._shrink_above = shrink_above
        self._forget_rounds = forget_rounds
        self._round_total = 0.0
        self._round_count = 0
        self._rounds = 0

    def observe(self, seconds: float) -> None:
        """One cheap query's in-flight time, from its admission to its release."""
        if self.floor is None or seconds < self.floor:
            self.floor = seconds
        self._round_total += seconds
        self._round_count += 1
        if self._round_count < self.limit:
            return
        mean = self._round_total / self._round_count
        self._round_total, self._round_count = 0.0, 0
        self._rounds += 1
        waiting = self.limit * (1 - self.floor / mean) if mean > 0 else 0.0
        if waiting < self._grow_below:
            self.limit = min(self.most, self.limit + 1)
        elif waiting > self._shrink_above:
            self.limit = max(self.least, self.limit - 1)
        if self._rounds % self._forget_rounds == 0:
            self.floor = None


def cheap_query_limit(at_least: int, at_most: int) -> CheapQueryLimit | None:
    """The adaptive limit of cheap queries, between `at_least` and `at_most` at once;
    None for `at_most` 0 (off)."""
    if not at_most:
        return None
    return CheapQueryLimit(least=min(at_least, at_most), most=at_most)


class ExecutionBudget:
    """Cost points of the queries executing at once, granted in order of arrival; and
    with `at_once`, no more than that many queries of ordinary cost at once."""

    def __init__(
        self, capacity: int, at_once: int = 0, cheap: CheapQueryLimit | None = None
    ) -> None:
        self.capacity = capacity
        self.in_use = 0
        self._waiting: deque[tuple[int, asyncio.Future[None]]] = deque()
        # Each query takes at least this share: `at_once` of them fill the budget.
        self._least = max(1, capacity // at_once) if at_once else 1
        self.cheap = cheap

    def is_cheap(self, cost: int) -> bool:
        return CHEAP_WEIGHT * max(cost, 1) < self._least

    def points_for(self, cost: int) -> int:
        """The points a query of `cost` takes: at least a share, or for a cheap query
        (under a `CHEAP_WEIGHT`th of a share) `CHEAP_WEIGHT` times its cost (a
        customer's detail, about 100 points, takes 400, so up to 20 run side by side
        where list pages of 100 run six at a time). With a `CheapQueryLimit`, a cheap
        query takes the budget's `1/limit` instead, so that no more than the limit run
        at once. A query dearer than the whole budget runs alone rather than never."""
        if self.is_cheap(cost):
            if self.cheap is not None:
                return max(cost, self.capacity // self.cheap.limit)
            return CHEAP_WEIGHT * max(cost, 1)
        return max(self._least, min(cost, self.capacity))

    def has_room(self, points: int) -> bool:
        return not self._waiting and self.in_use + points <= self.capacity

    async def acquire(self, points: int) -> None:
        if self.has_room(points):
            self.in_use += points
            return
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        waiting = (points, turn)
        self._waiting.append(waiting)
        try:
            await turn
        except asyncio.CancelledError:
            if turn.cancelled():
                self._waiting.remove(waiting)
                self._grant()  # those behind it may fit now
            else:
                self.release(points)  # granted just as the request was given up
            raise

    def release(self, points: int) -> None:
        self.in_use -= points
        self._grant()

    def _grant(self) -> None:
        while self._waiting:
            points, turn = self._waiting[0]
            if self.in_use + points > self.capacity:
                return
            self._waiting.popleft()
            self.in_use += points
            turn.set_result(None)


@contextlib.asynccontextmanager
async def admitted(context: Any, cost: int) -> AsyncIterator[None]:
    """Execute within the process's budget: wait until it has room for `cost`."""
    budget: ExecutionBudget | None = context.execution_budget
    if budget is None:
        yield
        return
    points = budget.points_for(cost)
    if budget.has_room(points):
        await budget.acquire(points)
    else:
        started = time.monotonic()
        # The wait can be long: the pool's connection is not held through it.
        await context.reader.release_idle()
        await budget.acquire(points)
        context.budget_wait_seconds = time.monotonic() - started
    cheap = budget.cheap if budget.is_cheap(cost) else None
    admitted_at = time.monotonic()
    try:
        yield
    finally:
        budget.release(points)
        if cheap is not None:
            cheap.observe(time.monotonic() - admitted_at)
