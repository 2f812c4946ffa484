"""A customer's status over its life, and deleting a customer that should never have been."""

from __future__ import annotations

import logging

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from custgraph.db.models import Customer, GiftCard, Order
from custgraph.domain.caller import Caller
from custgraph.domain.changes import CUSTOMER_DELETED, note_change
from custgraph.domain.customer_action import (
    CustomerAction,
    Outcome,
    act_on_customer,
    changed,
    unchanged,
)
from custgraph.domain.customer_lock import FINAL_STATUSES
from custgraph.domain.errors import DomainError
from custgraph.domain.events import change

logger = logging.getLogger(__name__)

MAX_REASON_LENGTH = 300

# Where each status may move with `customerSetStatus`; anything not listed is an
# INVALID_TRANSITION. Asking for the status a customer already has is not a move: it
# succeeds and writes nothing (ERPs retry status changes), except for MERGED and ERASED,
# which no status change sets.
#
#   UNVERIFIED -> ACTIVE (staff activate an account without the emailed link), BLOCKED,
#                 DISABLED
#   ACTIVE     -> BLOCKED, INACTIVE, DISABLED
#   BLOCKED    -> ACTIVE, INACTIVE, DISABLED
#   INACTIVE   -> ACTIVE, DISABLED
#   DISABLED   -> (nothing: disabled is for good)
#   MERGED, ERASED -> (nothing; and nothing moves into them here: only a merge or an
#                     erasure sets them, with the bookkeeping they need)
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    "UNVERIFIED": frozenset({"ACTIVE", "BLOCKED", "DISABLED"}),
    "ACTIVE": frozenset({"BLOCKED", "INACTIVE", "DISABLED"}),
    "BLOCKED": frozenset({"ACTIVE", "INACTIVE", "DISABLED"}),
    "INACTIVE": frozenset({"ACTIVE", "DISABLED"}),
    "DISABLED": frozenset(),
    "MERGED": frozenset(),
    "ERASED": frozenset(),
}
# Moving into these ends every session of the customer; reactivation later does not
# bring old tokens back.
ENDS_SESSIONS = frozenset({"BLOCKED", "INACTIVE", "DISABLED"})


def _checked_transition(current: str, wanted: str) -> None:
    """INVALID_TRANSITION unless ALLOWED_TRANSITIONS lets `current` move to `wanted`."""
    if wanted in ALLOWED_TRANSITIONS.get(current, frozenset()):
        return
    if wanted in ("MERGED", "ERASED"):
        message = f"{wanted} is set by merging or erasing the customer, not by a status change."
    elif current in ("DISABLED", "MERGED", "ERASED"):
        message = f"A {current} customer's status cannot change."
    else:
        message = f"A {current} customer cannot become {wanted}."
    raise DomainError("INVALID_TRANSITION", message, ["status"])


def checked_reason(reason: str | None) -> str | None:
    text = (reason or "").strip()
    if len(text) > MAX_REASON_LENGTH:
        raise DomainError(
            "TOO_LONG", f"Reasons have at most {MAX_REASON_LENGTH} characters.", ["reason"]
        )
    return text or None


async def set_status(
    sessions: async_sessionmaker[AsyncSession],
    caller: Caller,
    customer_id: int,
    status: str,
    *,
    reason: str | None = None,
    expected_version: int | None = None,
) -> int:
    """Block, unblock, deactivate, reactivate or disable a customer (see ALLOWED_TRANSITIONS).

    Blocking, deactivating and disabling end the customer's sessions. The reason, when
    given, is kept in the STATUS_CHANGED event. The status the customer already has
    answers success and writes nothing, whatever `expected_version` says: the state the
    caller asked for holds, so a retry of a change that went through is not a CONFLICT.
    Returns the customer's id.
    """
    why = checked_reason(reason)

    def settled(customer: Customer) -> Outcome[int] | None:
        # MERGED or ERASED asked for is refused even where held: no status change sets them.
        if customer.status == status and status not in FINAL_STATUSES:
            return unchanged(customer.id)
        return None

    async def act(_session: AsyncSession, customer: Customer) -> Outcome[int]:
        old = customer.status
        _checked_transition(old, status)
        customer.status = status
        if status in ENDS_SESSIONS:
            customer.token_version += 1
        message = f"Status changed from {old} to {status}" + (f": {why}" if why else "")
        return changed(customer.id, "STATUS_CHANGED", message, [change("status", old, status)])

    # Merged and erased records are loaded too, so that they get the transition table's
    # answer rather than a generic refusal.
    action = CustomerAction(
        "customerSetStatus", caller, customer_id, expected_version, allow_final=True
    )
    return await act_on_customer(sessions, action, act, settled=settled)


async def _refuse_when_value_would_vanish(session: AsyncSession, customer: Customer) -> None:
    if await session.scalar(select(func.count()).where(Order.customer_id == customer.id)):
        raise DomainError(
            "HAS_ORDERS",
            "The customer has orders, which must be kept; block or erase the customer instead.",
            ["customerId"],
        )
    if customer.credit_balance > 0:
        raise DomainError(
            "NOT_ALLOWED",
            f"The customer holds {customer.credit_balance} of store credit, which deleting "
            "would make vanish; pay it out or reduce it to zero first, or block the customer.",
            ["customerId"],
        )
    live_cards = await session.scalar(
        select(func.count()).where(
            GiftCard.customer_id == customer.id, GiftCard.is_active, GiftCard.balance > 0
        )
    )
    if live_cards:
        raise DomainError(
            "NOT_ALLOWED",
            f"The customer holds {live_cards} active gift card(s) with a balance, which "
            "deleting would make vanish; deactivate them first, or block the customer.",
            ["customerId"],
        )
    merged_in = await session.scalar(
        select(func.count()).where(Customer.merged_into_id == customer.id)
    )
    if merged_in:
        raise DomainError(
            "NOT_ALLOWED",
            "Other customer records were merged into this one and point to it; "
            "erase or block the customer instead.",
            ["customerId"],
        )


async def delete_customer(
    sessions: async_sessionmaker[AsyncSession],
    caller: Caller,
    customer_id: int,
    *,
    expected_version: int | None = None,
) -> int:
    """Delete a customer record with everything that hangs off it (a duplicate, a test).

    Refused with HAS_ORDERS when the customer has orders, and with NOT_ALLOWED while it
    holds store credit or active gift cards with a balance, or when other records were
    merged into it. Messages still queued for it are dropped. The customer's activity
    log goes with it, so the deletion is logged here (INFO) with the actor and request
    id. Returns the deleted id.
    """

    async def act(session: AsyncSession, customer: Customer) -> Outcome[str]:
        await _refuse_when_value_would_vanish(session, customer)
        # The activity log goes with the customer; the change feed keeps the deletion.
        note_change(
            session,
            CUSTOMER_DELETED,
            customer.id,
            caller.actor,
            request_id=caller.request_id,
            deleted=True,
        )
        # Child rows go by ON DELETE CASCADE in the database (notifications take their
        # outbox rows with them, so nothing queued goes out); no relationships are mapped.
        await session.delete(customer)
        await session.flush()
        # No event and no version: the record and its log are gone.
        return Outcome(customer.reference)

    action = CustomerAction("customerDelete", caller, customer_id, expected_version)
    reference = await act_on_customer(sessions, action, act)
    # Logged once committed (and not inside `act`, which may run more than once).
    logger.info(
        "customer %s (%s) deleted by %s %s (%s), request %s",
        customer_id,
        reference,
        caller.actor.type,
        caller.actor.id,
        caller.actor.label,
        caller.request_id,
    )
    return customer_id
