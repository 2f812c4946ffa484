"""Loading the keys of a whole level with one future instead of one per key.

The compiled read path asks a loader for every parent of a level at once. Through
`load_many`, each key gets its own future, and resolving it schedules a callback on the
event loop: 300 of them for six relations under a page of 50 customers, which measured
as a large share of a page's CPU. `load_all` puts the keys into the same queue, so they
are served by the same batch as any other load of that tick, but lets one future stand
for all of them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any, Generic, TypeVar

from aiodataloader import DataLoader, Loader, dispatch_queue

V = TypeVar("V")


class _Level(Generic[V]):
    """The values of one `load_all` call, filled in place by the batch."""

    __slots__ = ("future", "remaining", "values")

    def __init__(self, size: int) -> None:
        self.future: asyncio.Future[list[V]] = asyncio.get_running_loop().create_future()
        self.values: list[Any] = [None] * size
        self.remaining = size


class _Place(Generic[V]):
    """Stands in the loader's queue where a per-key future would stand."""

    __slots__ = ("index", "level")

    def __init__(self, level: _Level[V], index: int) -> None:
        self.level = level
        self.index = index

    def done(self) -> bool:
        return self.level.future.done()

    def set_result(self, value: V) -> None:
        level = self.level
        level.values[self.index] = value
        level.remaining -= 1
        if level.remaining == 0 and not level.future.done():
            level.future.set_result(level.values)

    def set_exception(self, error: BaseException) -> None:
        if not self.level.future.done():
            self.level.future.set_exception(error)


class TickDispatch(DataLoader[Any, V]):
    """A DataLoader whose batch is dispatched two ticks of the event loop after the
    first load of the tick, as aiodataloader's own, without the coroutine and the task
    aiodataloader makes for each hop (about a tenth of a detail read's Python)."""

    def do_resolve_reject(self, key: Any, future: asyncio.Future[V]) -> None:
        self._queue.append(Loader(key=key, future=future))
        if len(self._queue) == 1:
            if self.batch:
                # The same two ticks: loads made by tasks that only start in the next
                # tick still share the batch.
                self.loop.call_soon(self.loop.call_soon, dispatch_queue, self)
            else:
                dispatch_queue(self)


class WholeLevelLoads(TickDispatch[V]):
    """A DataLoader that can also load a level's keys under one future."""

    def __init__(self) -> None:
        super().__init__()
        # Relations that share a loader ask for the same parents in the same tick
        # (addresses and the default billing address): they share the load as well.
        self._levels: dict[tuple[int, ...], asyncio.Future[list[V]]] = {}

    def load_all(self, keys: Sequence[int]) -> asyncio.Future[list[V]]:
        """The values of `keys`, in order, from the next batch of this loader."""
        shape = tuple(keys)
        known = self._levels.get(shape)
        if known is not None and not known.cancelled():
            return known
        level: _Level[V] = _Level(len(shape))
        self._levels[shape] = level.future
        if not shape:
            level.future.set_result([])
        for index, key in enumerate(shape):
            self.do_resolve_reject(key, _Place(level, index))  # type: ignore[arg-type]
        return level.future

    async def load_alone(self, keys: Sequence[int]) -> list[V]:
        """The values of `keys` from a batch run now, for a load that nothing else can
        share: the request's only root. Waiting two ticks for loads that will not come,
        and the task the batch runs in, were about a twentieth of a detail read's CPU."""
        return list(await self.batch_load_fn(list(keys)))
