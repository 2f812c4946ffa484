"""An admin action on one customer, in the order every such action takes: lock the
record, check the version the caller expected, act, log the event, keep the result for
the idempotency key, all in one transaction.

An action states only what is its own (its checks and its change) as an `Act`; the
helper does the rest. That the version grows exactly when the log gains an entry, and a
keyed retry replays instead of acting twice, are then true of every action, not of
each one that remembered.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from custgraph.db.models import Customer
from custgraph.domain.caller import Caller
from custgraph.domain.customer_lock import check_version, lock_customer, mark_changed
from custgraph.domain.events import record_event
from custgraph.domain.idempotency import Replay, Work, once
from custgraph.domain.transaction import in_transaction

T = TypeVar("T")


@dataclass(frozen=True)
class Event:
    """The activity-log entry an action writes: its type, a line for people, and each
    field's old and new value (`events.change`), as partners read them in the feed."""

    type: str
    message: str
    changes: Sequence[dict[str, Any]] = ()


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """What an act did: its result, the events it logs, and whether the record itself
    changed (which grows its version). A message sent is logged without changing it."""

    result: T
    events: tuple[Event, ...] = ()
    record_changed: bool = False


def changed(
    result: T, type: str, message: str, changes: Sequence[dict[str, Any]] = ()
) -> Outcome[T]:
    """The customer changed: one event logged, the version grown by one."""
    return Outcome(result, (Event(type, message, changes),), record_changed=True)


def logged(result: T, type: str, message: str) -> Outcome[T]:
    """Something was done for the customer (a message sent) without changing the
    record: one event logged, the version as it was."""
    return Outcome(result, (Event(type, message),))


def unchanged(result: T) -> Outcome[T]:
    """Nothing to change (the value was already so): no event, the same version."""
    return Outcome(result)


Act = Callable[[AsyncSession, Customer], Awaitable[Outcome[T]]]
# What answers an action whose request already holds on the locked record, or None
# when it does not (see `act_on_locked_customer`).
Settled = Callable[[Customer], Outcome[T] | None]


@dataclass(frozen=True)
class CustomerAction:
    """Which action, by whom, on which customer, at which version.

    `operation` names the action as its idempotency keys are stored (the mutation's
    name). `request` is what a retry with the same key must ask for again, besides the
    customer and the expected version. `field` is where a missing customer is reported;
    `allow_final` lets the action touch a merged or erased record.
    """

    operation: str
    caller: Caller
    customer_id: int
    expected_version: int | None = None
    idempotency_key: str | None = None
    request: Mapping[str, Any] = field(default_factory=dict)
    field: str = "customerId"
    allow_final: bool = False

    def fingerprint(self) -> dict[str, Any]:
        return {
            "customer_id": self.customer_id,
            "expected_version": self.expected_version,
            **self.request,
        }


async def act_on_locked_customer(
    session: AsyncSession,
    action: CustomerAction,
    act: Act[T],
    *,
    settled: Settled[T] | None = None,
) -> T:
    """Lock the customer, check the version, run `act`, and log what it reports, inside
    `session`'s transaction (for an action that is one step of a larger one).

    With `settled`, the locked record is first asked whether the request already holds:
    the outcome it gives (`unchanged`, as a rule) stands for `act`'s, with no version
    check, so that a retry of a change that went through is not a CONFLICT. None goes on
    to the version check, which then comes after the record's other refusals (missing,
    merged or erased), and to `act`.
    """
    customer = await lock_customer(
        session,
        action.customer_id,
        action.expected_version if settled is None else None,
        caller=action.caller,
        field=action.field,
        allow_final=action.allow_final,
    )
    outcome = None if settled is None else settled(customer)
    if outcome is None:
        if settled is not None:
            check_version(customer, action.expected_version)
        outcome = await act(session, customer)
    if outcome.record_changed:
        mark_changed(customer)
    for event in outcome.events:
        record_event(
            session,
            customer.id,
            event.type,
            action.caller.actor,
            event.message,
            event.changes,
            request_id=action.caller.request_id,
        )
    return outcome.result


async def act_on_customer(
    sessions: async_sessionmaker[AsyncSession],
    action: CustomerAction,
    act: Act[T],
    kept: Replay[T] | None = None,
    *,
    settled: Settled[T] | None = None,
) -> T:
    """The action in its own transaction; with `kept`, a retry with the action's
    idempotency key gets the first result back and changes nothing. `settled` as for
    `act_on_locked_customer`."""

    async def locked(session: AsyncSession) -> T:
        return await act_on_locked_customer(session, action, act, settled=settled)

    work: Work[T] = locked
    if kept is not None:
        work = once(
            action.caller,
            action.operation,
            action.idempotency_key,
            action.fingerprint(),
            work,
            kept,
        )
    return await in_transaction(sessions, work)
