"""The execution budget (admission.py): turns in order, nothing lost to cancellation."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from custgraph.admission import CheapQueryLimit, ExecutionBudget


async def _settle() -> None:
    """Let every task that can run, run."""
    for _ in range(5):
        await asyncio.sleep(0)


async def _turns(
    budget: ExecutionBudget, costs: list[int]
) -> tuple[list[int], list[asyncio.Task[None]]]:
    """Ask for each cost in order; the list fills with indexes as turns are granted."""
    granted: list[int] = []

    async def ask(i: int, points: int) -> None:
        await budget.acquire(points)
        granted.append(i)

    tasks = []
    for i, points in enumerate(costs):
        tasks.append(asyncio.ensure_future(ask(i, points)))
        await _settle()  # arrives before the next one
    return granted, tasks


async def test_turns_are_granted_in_order_of_arrival_and_small_ones_do_not_overtake() -> None:
    budget = ExecutionBudget(100)
    granted, _ = await _turns(budget, [60, 60, 10, 30])
    # The second does not fit beside the first; the small ones behind it wait their turn,
    # so that a stream of small queries cannot starve a big one.
    assert granted == [0] and budget.in_use == 60
    budget.release(60)
    await _settle()
    assert granted == [0, 1, 2, 3] and budget.in_use == 100
    for points in (60, 10, 30):
        budget.release(points)
    assert budget.in_use == 0


async def test_a_query_dearer_than_the_budget_runs_alone() -> None:
    budget = ExecutionBudget(100)
    assert budget.points_for(5000) == 100 and budget.points_for(0) == 1
    granted, _ = await _turns(budget, [1, budget.points_for(5000), 1])
    assert granted == [0]
    budget.release(1)
    await _settle()
    assert granted == [0, 1]
    budget.release(100)
    await _settle()
    assert granted == [0, 1, 2]


async def test_a_request_given_up_while_waiting_leaves_its_place_to_the_next() -> None:
    budget = ExecutionBudget(100)
    granted, tasks = await _turns(budget, [80, 50, 20])
    assert granted == [0]
    tasks[1].cancel()
    await _settle()
    # The 20 behind the cancelled 50 fits beside the 80 at once.
    assert granted == [0, 2] and budget.in_use == 100
    with pytest.raises(asyncio.CancelledError):
        await tasks[1]


async def test_a_turn_granted_as_its_request_is_given_up_is_given_back() -> None:
    budget = ExecutionBudget(100)
    granted, tasks = await _turns(budget, [100, 40])
    budget.release(100)  # grants the 40 ...
    tasks[1].cancel()  # ... whose request is cancelled before it runs again
    with pytest.raises(asyncio.CancelledError):
        await tasks[1]
    assert granted == [0] and budget.in_use == 0


async def test_no_more_than_at_once_queries_of_ordinary_cost_run_at_once() -> None:
    budget = ExecutionBudget(8000, at_once=3)
    points = [budget.points_for(cost) for cost in (700, 700, 700, 700, 5000)]
    assert points[:4] == [2666] * 4 and points[4] == 5000
    granted, _ = await _turns(budget, points)
    assert granted == [0, 1, 2]  # the fourth cheap query waits for a place
    budget.release(points[0])
    await _settle()
    assert granted == [0, 1, 2, 3]
    for p in points[1:4]:
        budget.release(p)
    await _settle()
    assert granted == [0, 1, 2, 3, 4] and budget.in_use == 5000


def test_without_at_once_cheap_queries_take_only_their_cost() -> None:
    assert ExecutionBudget(8000).points_for(100) == 100


def test_a_query_under_a_quarter_share_takes_four_times_its_cost() -> None:
    budget = ExecutionBudget(8000, at_once=6)  # a share: 1333 points
    assert budget.points_for(100) == 400  # a customer's detail
    assert budget.points_for(0) == 4
    assert budget.points_for(333) == 1332  # the last cost under a quarter share
    assert budget.points_for(334) == 1333  # from there on, the share
    assert budget.points_for(401) == 1333  # a flat page of 100 customers
    assert budget.points_for(3001) == 3001  # a page with its relations


async def test_cheap_reads_run_side_by_side_where_list_pages_wait() -> None:
    budget = ExecutionBudget(8000, at_once=6)
    details = [budget.points_for(100)] * 20
    granted, _ = await _turns(budget, details)
    assert len(granted) == 20 and budget.in_use == 8000
    for p in details:
        budget.release(p)
    pages = [budget.points_for(401)] * 7
    granted, _ = await _turns(budget, pages)
    assert granted == [0, 1, 2, 3, 4, 5]  # the seventh waits for a place


# --- the adaptive limit of cheap queries -------------------------------------------------


def _rounds(limit: CheapQueryLimit, rounds: int, times: Callable[[int], list[float]]) -> None:
    """Feed `rounds` rounds of in-flight times, each as `times(limit now)` gives them."""
    for _ in range(rounds):
        for seconds in times(limit.limit):
            limit.observe(seconds)


def _busy_cpu(at_once: int) -> list[float]:
    """A process whose CPU is busy past 2 queries at once: one query of the round goes
    through without waiting (1 ms), the others take longer the more run beside them."""
    return [0.001] + [0.001 * max(1.0, at_once / 2)] * (at_once - 1)


def test_cheap_queries_run_as_many_at_once_as_allowed_while_none_waits() -> None:
    limit = CheapQueryLimit(least=2, most=20)
    _rounds(limit, 50, lambda at_once: [0.001] * at_once)
    assert limit.limit == 20


def test_fewer_cheap_queries_run_at_once_when_their_time_grows_with_their_number() -> None:
    limit = CheapQueryLimit(least=2, most=20)
    _rounds(limit, 200, _busy_cpu)
    # Settled where 3 to 6 of those at once wait rather than work: far below 20.
    assert 5 <= limit.limit <= 9


def test_the_limit_grows_back_once_the_cpu_is_free_again() -> None:
    limit = CheapQueryLimit(least=2, most=20)
    _rounds(limit, 200, _busy_cpu)
    assert limit.limit < 10
    _rounds(limit, 200, lambda at_once: [0.001] * at_once)
    assert limit.limit == 20


def test_a_database_slower_for_good_is_taken_as_it_now_is() -> None:
    limit = CheapQueryLimit(least=2, most=20, forget_rounds=50)
    _rounds(limit, 10, lambda at_once: [0.001] * at_once)
    # Every query takes 3 ms from now on, however many run at once: nothing waits.
    _rounds(limit, 300, lambda at_once: [0.003] * at_once)
    assert limit.limit == 20 and limit.floor == pytest.approx(0.003)


def test_the_limit_never_leaves_its_bounds() -> None:
    limit = CheapQueryLimit(least=8, most=12)
    _rounds(limit, 300, lambda at_once: [0.0001] + [0.05] * (at_once - 1))
    assert limit.limit == 8
    _rounds(limit, 300, lambda at_once: [0.001] * at_once)
    assert limit.limit == 12


def test_a_cheap_query_takes_the_budget_over_the_limit_and_a_dear_one_its_share() -> None:
    cheap = CheapQueryLimit(least=2, most=20)
    budget = ExecutionBudget(8000, at_once=6, cheap=cheap)
    assert budget.points_for(100) == 400  # 20 at once
    cheap.limit = 5
    assert budget.points_for(100) == 1600  # 5 at once
    cheap.limit = 6
    assert 6 * budget.points_for(100) <= 8000 < 7 * budget.points_for(100)
    assert budget.points_for(3000) == 3000 and budget.points_for(400) == 1333
    assert ExecutionBudget(8000, at_once=6).points_for(100) == 400  # fixed: 4 times the cost
