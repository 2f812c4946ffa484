"""Random sequences of points and credit adjustments keep balances equal to their ledgers.

Runs the domain functions against a real database (SQLite, or PostgreSQL when
CUSTGRAPH_TEST_POSTGRES is set), one after the other or all at once.

A second property mixes merges and erasures into the sequences over a pool of three
customers: every ledger stays consistent, and merges only move value.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal

import pytest_asyncio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from custgraph.db.engine import create_engine, create_session_factory
from custgraph.db.models import CreditEntry, Customer, PointsEntry
from custgraph.domain.actors import Actor
from custgraph.domain.caller import Caller
from custgraph.domain.erase import erase_customer
from custgraph.domain.errors import DomainError
from custgraph.domain.ledgers import (
    CreditAdjustment,
    PointsAdjustment,
    adjust_credit,
    adjust_points,
)
from custgraph.domain.merge import MergeRequest, merge_customers
from custgraph.domain.references import assign_reference, placeholder_reference
from tests.conftest import settings_for
from tests.support.databases import Databases

CURRENCY = "EUR"
CALLER = Caller(Actor("STAFF", 1, "Property Tester"), "staff:1")


@dataclass
class LedgerDb:
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]


@pytest_asyncio.fixture(scope="module")
async def ledger_db(databases: Databases) -> AsyncIterator[LedgerDb]:
    url = await databases.create("ledgers")
    engine = create_engine(settings_for(url), for_writes=True)
    try:
        yield LedgerDb(engine, create_session_factory(engine))
    finally:
        await engine.dispose()


async def new_customer(db: LedgerDb) -> int:
    async with db.sessions.begin() as session:
        customer = Customer(reference=placeholder_reference(), first_name="Prop", last_name="Erty")
        session.add(customer)
        await assign_reference(session, customer)
    return customer.id


# --- the actions a sequence is made of ------------------------------------------------


async def _points(db: LedgerDb, customer_id: int, delta: int) -> None:
    await adjust_points(db.sessions, CALLER, PointsAdjustment(customer_id, delta, "property"))


async def _credit(db: LedgerDb, customer_id: int, cents: int) -> None:
    amount = str(Decimal(cents).scaleb(-2))
    await adjust_credit(
        db.sessions, CALLER, CreditAdjustment(customer_id, amount, "property"), CURRENCY
    )


Action = Callable[[LedgerDb, int, int], Awaitable[None]]
# Merges and erasures plug in here (see the module docstring).
LEDGER_ACTIONS: dict[str, Action] = {"points": _points, "credit": _credit}

steps = st.lists(
    st.one_of(
        st.tuples(st.just("points"), st.integers(-300, 300).filter(bool)),
        st.tuples(st.just("credit"), st.integers(-30_000, 30_000).filter(bool)),
    ),
    min_size=1,
    max_size=8,
)


async def _run(db: LedgerDb, customer_id: int, kind: str, value: int) -> bool:
    """True when the action was applied; a refusal may only be a would-be negative balance."""
    try:
        await LEDGER_ACTIONS[kind](db, customer_id, value)
    except DomainError as error:
        assert error.code == "INSUFFICIENT_BALANCE", error.message
        return False
    return True


# --- the invariants ----------------------------------------------------------------


async def assert_ledgers_consistent(db: LedgerDb, customer_id: int) -> None:
    """The customer's balances equal their newest entries' balance_after (newest as the
    histories show them: by time, then id) and the sum of all movements; no
    balance_after is negative; each entry's balance_after is the previous one plus its
    movement, in the order they were written (id order)."""
    ledgers = (
        (PointsEntry, PointsEntry.delta, Customer.points_balance, 0),
        (CreditEntry, CreditEntry.amount, Customer.credit_balance, Decimal("0.00")),
    )
    async with db.engine.connect() as connection:
        for model, movement, balance_column, zero in ledgers:
            balance = await connection.scalar(
                select(balance_column).where(Customer.id == customer_id)
            )
            entries = (
                await connection.execute(
                    select(movement, model.balance_after)
                    .where(model.customer_id == customer_id)
                    .order_by(model.id)
                )
            ).all()
            newest = await connection.scalar(
                select(model.balance_after)
                .where(model.customer_id == customer_id)
                .order_by(model.created_at.desc(), model.id.desc())
                .limit(1)
            )
            running = zero
            for moved, balance_after in entries:
                running += moved
                assert balance_after == running
                assert balance_after >= 0
            assert balance == running == sum((moved for moved, _ in entries), zero)
            assert balance == (zero if newest is None else newest)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(sequence=steps, concurrently=st.booleans())
async def test_random_adjustments_keep_balances_equal_to_their_ledgers(
    ledger_db: LedgerDb, sequence: list[tuple[str, int]], concurrently: bool
) -> None:
    customer_id = await new_customer(ledger_db)
    if concurrently:
        # Order is up to the database; only the invariants can be predicted.
        await asyncio.gather(*(_run(ledger_db, customer_id, k, v) for k, v in sequence))
    else:
        points, cents = 0, 0
        for kind, value in sequence:
            before = points if kind == "points" else cents
            applied = await _run(ledger_db, customer_id, kind, value)
            # Applied exactly when the balance stays non-negative.
            assert applied == (before + value >= 0)
            if applied and kind == "points":
                points += value
            elif applied:
                cents += value
        async with ledger_db.sessions() as session:
            customer = await session.get(Customer, customer_id)
            assert customer is not None
            assert (customer.points_balance, customer.credit_balance) == (
                points,
                Decimal(cents).scaleb(-2),
            )
    await assert_ledgers_consistent(ledger_db, customer_id)


pool_steps = st.lists(
    st.one_of(
        st.tuples(st.just("points"), st.integers(0, 2), st.integers(-300, 300).filter(bool)),
        st.tuples(st.just("credit"), st.integers(0, 2), st.integers(-30_000, 30_000).filter(bool)),
        st.tuples(st.just("merge"), st.integers(0, 2), st.integers(0, 2)),
        st.tuples(st.just("erase"), st.integers(0, 2), st.just(0)),
    ),
    min_size=1,
    max_size=10,
)
# What may refuse a step: a would-be negative balance, a merged or erased customer, a
# customer merged into itself.
EXPECTED_REFUSALS = frozenset({"INSUFFICIENT_BALANCE", "NOT_ALLOWED", "INVALID"})


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(sequence=pool_steps)
async def test_random_adjustments_merges_and_erasures_keep_every_ledger_consistent(
    ledger_db: LedgerDb, sequence: list[tuple[str, int, int]]
) -> None:
    ids = [await new_customer(ledger_db) for _ in range(3)]
    points, cents = 0, 0
    for kind, first, second in sequence:
        try:
            if kind == "points":
                await _points(ledger_db, ids[first], second)
                points += second
            elif kind == "credit":
                await _credit(ledger_db, ids[first], second)
                cents += second
            elif kind == "merge":
                await merge_customers(
                    ledger_db.sessions,
                    CALLER,
                    MergeRequest(source_id=ids[first], target_id=ids[second]),
                    currency=CURRENCY,
                )
            else:
                await erase_customer(ledger_db.sessions, CALLER, ids[first])
        except DomainError as error:
            assert error.code in EXPECTED_REFUSALS, (kind, error.code, error.message)
    for customer_id in ids:
        await assert_ledgers_consistent(ledger_db, customer_id)
    # Merges move value between ledgers and erasures keep it: nothing appears or vanishes.
    async with ledger_db.engine.connect() as connection:
        rows = (
            await connection.execute(
                select(Customer.points_balance, Customer.credit_balance).where(Customer.id.in_(ids))
            )
        ).all()
    assert sum(r.points_balance for r in rows) == points
    assert sum((r.credit_balance for r in rows), Decimal("0.00")) == Decimal(cents).scaleb(-2)
