"""Human-readable customer references."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from custgraph.db.models import Customer
from custgraph.domain.search_text import customer_search_text


def placeholder_reference() -> str:
    """Unique until the row has its id; `assign_reference` replaces it in the same transaction."""
    return f"NEW-{uuid.uuid4().hex[:24]}"


async def assign_reference(session: AsyncSession, customer: Customer) -> None:
    """Give a new customer its reference `CUST-000042` from its id, and its search text."""
    await session.flush()
    customer.reference = f"CUST-{customer.id:06d}"
    refresh_search_text(customer)


def refresh_search_text(customer: Customer) -> None:
    customer.search_text = customer_search_text(
        customer.reference, customer.first_name, customer.last_name, customer.email, customer.phone
    )
