"""Loading a customer for a change: locked, version-checked, then marked changed."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from custgraph.db.models import Customer
from custgraph.domain.caller import Caller
from custgraph.domain.errors import DomainError

# A customer acting for themselves may not change records in these states, nor may
# anyone but a status change touch merged or erased ones.
FINAL_STATUSES = frozenset({"MERGED", "ERASED"})


async def lock_customer(
    session: AsyncSession,
    customer_id: int,
    expected_version: int | None = None,
    *,
    caller: Caller | None = None,
    field: str = "customerId",
    allow_final: bool = False,
) -> Customer:
    """The customer row, locked until commit (FOR UPDATE on PostgreSQL; SQLite's write
    transactions are already exclusive).

    NOT_FOUND when missing, or when a customer caller names someone else; CONFLICT when
    `expected_version` is stale; NOT_ALLOWED on merged or erased records.
    """
    if caller is not None and caller.customer_id is not None and caller.customer_id != customer_id:
        raise DomainError("NOT_FOUND", "Customer not found.", [field])
    customer: Customer | None = await session.scalar(
        select(Customer).where(Customer.id == customer_id).with_for_update()
    )
    if customer is None:
        raise DomainError("NOT_FOUND", "Customer not found.", [field])
    check_version(customer, expected_version)
    if customer.status in FINAL_STATUSES and not allow_final:
        raise DomainError(
            "NOT_ALLOWED", f"The customer is {customer.status} and cannot change.", [field]
        )
    return customer


def check_version(customer: Customer, expected_version: int | None) -> None:
    """CONFLICT when the caller expected another version of the customer than it has."""
    if expected_version is not None and customer.version != expected_version:
        raise DomainError(
            "CONFLICT",
            f"The customer changed meanwhile (version {customer.version}, "
            f"expected {expected_version}); reload and retry.",
            ["expectedVersion"],
        )


def mark_changed(customer: Customer) -> None:
    """Every write to a customer grows its version by one."""
    customer.version += 1
    customer.updated_at = datetime.now(UTC)
