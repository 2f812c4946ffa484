"""Root fields that read customers: `customer` and `customers`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import select
from strawberry.types import Info

from custgraph.api_errors import bad_request, not_found
from custgraph.auth.permissions import Permission
from custgraph.db.models import Customer as CustomerRow
from custgraph.global_id import decode_id_of
from custgraph.loaders.customer_list import (
    CustomerListFilter,
    CustomerPage,
    count_customers,
    fetch_customer_page,
)
from custgraph.resolvers.access import require_on_customer
from custgraph.schema.customer import Customer
from custgraph.schema.customer_list import CustomerFilter, CustomerSort
from custgraph.schema.enums import CustomerSortField, SortDirection
from custgraph.schema.pagination import Connection, build_connection, page_size


async def resolve_customer(info: Info, id: str | None, external_id: str | None) -> Customer | None:
    if (id is None) == (external_id is None):
        raise bad_request("Pass `id` or `externalId`, one of them.")
    if id is not None:
        customer_id = decode_id_of("Customer", id)
    else:
        found = await info.context.reader.scalar(
            select(CustomerRow.id).where(CustomerRow.external_id == external_id)
        )
        if found is None:
            raise not_found("Customer not found.")
        customer_id = found
    require_on_customer(info, Permission.CUSTOMERS_READ, customer_id)
    row = await info.context.loaders.customer.load(customer_id)
    if row is None:
        raise not_found("Customer not found.")
    return Customer.from_row(row, info.context.settings.currency)


MAX_SEARCH_LENGTH = 200


def list_filter_of(search: str | None, flt: CustomerFilter | None) -> CustomerListFilter:
    if search is not None and len(search) > MAX_SEARCH_LENGTH:
        raise bad_request(f"`search` has at most {MAX_SEARCH_LENGTH} characters.")
    if search is not None and "\x00" in search:
        raise bad_request("`search` cannot hold a NUL character.")
    if flt is None:
        return CustomerListFilter(search=search)
    return CustomerListFilter(
        search=search,
        statuses=[s.name for s in flt.status] if flt.status else None,
        tags=flt.tags,
        levels=flt.level,
        sales_rep_id=decode_id_of("StaffUser", flt.sales_rep_id, "filter.salesRepId")
        if flt.sales_rep_id is not None
        else None,
        branch=flt.branch,
        registered_from=flt.registered_from,
        registered_to=flt.registered_to,
        email_verified=flt.email_verified,
        has_orders=flt.has_orders,
        external_ids=flt.external_id,
        updated_from=flt.updated_from,
        updated_to=flt.updated_to,
    )


async def load_customer_page(
    context: Any,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
    search: str | None,
    filter: CustomerFilter | None,
    sort: CustomerSort | None,
    columns: frozenset[str] | None = None,
    written: tuple[tuple[str, str], ...] = (),
    with_total: bool = False,
) -> tuple[CustomerPage, Callable[[], Awaitable[int]]]:
    """One `customers` page and its lazy total; shared by the resolver and compiled reads
    (which ask only for the `columns` their plan reads, and the customers' JSON the
    database can write)."""
    size = page_size(first, last)
    list_filter = list_filter_of(search, filter)
    reader = context.reader
    page = await fetch_customer_page(
        reader,
        list_filter,
        sort=(sort.field if sort else CustomerSortField.REFERENCE).name,
        descending=sort is not None and sort.direction is SortDirection.DESC,
        size=size,
        backward=last is not None,
        after=after,
        before=before,
        columns=columns,
        written=written,
        with_total=with_total,
    )

    async def count() -> int:
        if page.total is not None:
            return page.total
        return await count_customers(reader, list_filter)

    return page, count


async def resolve_customers(
    info: Info,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
    search: str | None,
    filter: CustomerFilter | None,
    sort: CustomerSort | None,
) -> Connection[Customer]:
    # `customers:read` is declared on the root field (schema/query.py).
    page, count = await load_customer_page(
        info.context, first, after, last, before, search, filter, sort
    )
    currency = info.context.settings.currency
    return build_connection(
        [Customer.from_row(r, currency) for r in page.rows],
        page.cursors,
        has_next_page=page.has_next_page,
        has_previous_page=page.has_previous_page,
        count=count,
    )
