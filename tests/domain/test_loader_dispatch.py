"""Our loaders dispatch their batch on the same tick as aiodataloader's own, without its
coroutine and task per hop: loads made up to that tick share the batch."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest
from aiodataloader import DataLoader

from custgraph.loaders.whole_batch import TickDispatch


class _Recording:
    """Records each batch it is asked for."""

    batches: list[list[int]]

    async def batch_load_fn(self, keys: Sequence[int]) -> list[int]:
        self.batches.append(list(keys))
        return [k * 10 for k in keys]


class _Recorded(_Recording, TickDispatch[int]):
    def __init__(self) -> None:
        super().__init__()
        self.batches = []


class _Reference(_Recording, DataLoader[int, int]):
    def __init__(self) -> None:
        super().__init__()
        self.batches = []


async def _load_after(loader: DataLoader[int, int], key: int, ticks: int) -> int:
    for _ in range(ticks):
        await asyncio.sleep(0)
    return await loader.load(key)


async def _batches(loader: _Recorded | _Reference, delays: Sequence[int]) -> list[list[int]]:
    values = await asyncio.gather(
        *(_load_after(loader, key, ticks) for key, ticks in enumerate(delays))
    )
    assert values == [k * 10 for k in range(len(delays))]
    return loader.batches


@pytest.mark.parametrize(
    "delays",
    [(0, 0, 0), (0, 1), (0, 2), (0, 3), (0, 1, 2, 3, 4), (1, 1, 3, 5, 5, 6), (2, 0, 4, 1)],
)
async def test_loads_share_a_batch_exactly_as_with_aiodataloader(delays: tuple[int, ...]) -> None:
    assert await _batches(_Recorded(), delays) == await _batches(_Reference(), delays)


async def test_a_load_of_the_next_tick_joins_the_batch() -> None:
    # What the compiled path relies on: relations resolved by tasks that start in the
    # next tick still load in one statement.
    assert await _batches(_Recorded(), (0, 1)) == [[0, 1]]


async def test_a_loader_without_batching_loads_at_once() -> None:
    loader = _Recorded()
    loader.batch = False
    assert await asyncio.gather(loader.load(1), loader.load(2)) == [10, 20]
    assert loader.batches == [[1], [2]]
