"""Reading what a mutation just wrote, for its payload."""

from __future__ import annotations

from strawberry.types import Info

from custgraph.schema.customer import Customer


async def fresh_customer(info: Info, customer_id: int | None) -> Customer | None:
    """The customer as committed now, not as this request may have loaded it before."""
    if customer_id is None:
        return None
    await info.context.reader.new_snapshot()
    loaders = info.context.loaders
    loaders.customer.clear(customer_id)
    row = await loaders.customer.load(customer_id)
    return Customer.from_row(row, info.context.settings.currency) if row else None
