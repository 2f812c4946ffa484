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
share is short in the database too: a customer's detail (about 100 points) takes four
times its cost, and 16 of them at once served 15-20 % more than 6 at the same p99.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import AsyncIterator
from typing import Any

# A query far cheaper than a share takes this many times its cost instead of the share.
CHEAP_WEIGHT = 4


class ExecutionBudget:
    """Cost points of the queries executing at once, granted in order of arrival; and
    with `at_once`, no more than that many queries of ordinary cost at once."""

    def __init__(self, capacity: int, at_once: int = 0) -> None:
        self.capacity = capacity
        self.in_use = 0
        self._waiting: deque[tuple[int, asyncio.Future[None]]] = deque()
        # Each query takes at least this share: `at_once` of them fill the budget.
        self._least = max(1, capacity // at_once) if at_once else 1

    def points_for(self, cost: int) -> int:
        """The points a query of `cost` takes: at least a share, or for a query under a
        `CHEAP_WEIGHT`th of a share `CHEAP_WEIGHT` times its cost (a customer's detail,
        about 100 points, takes 400, so up to 20 run side by side where list pages of
        100 run six at a time). A query dearer than the whole budget runs alone rather
        than never."""
        least = min(self._least, CHEAP_WEIGHT * max(cost, 1))
        return max(least, min(cost, self.capacity))

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
    try:
        yield
    finally:
        budget.release(points)
