"""Inputs of the customer list: filter and sort."""

from __future__ import annotations

from datetime import date, datetime

import strawberry

from custgraph.schema.enums import CustomerSortField, CustomerStatus, SortDirection


@strawberry.input(description="Narrows the customer list; all given conditions must hold.")
class CustomerFilter:
    status: list[CustomerStatus] | None = strawberry.field(
        default=None, description="Any of these statuses."
    )
    tags: list[str] | None = strawberry.field(default=None, description="Any of these tags.")
    level: list[str] | None = strawberry.field(
        default=None, description="Any of these loyalty levels."
    )
    sales_rep_id: strawberry.ID | None = strawberry.field(
        default=None, description="Served by this staff user."
    )
    branch: str | None = strawberry.field(default=None, description="Served by this branch.")
    registered_from: date | None = strawberry.field(
        default=None, description="Registered on or after this day (UTC)."
    )
    registered_to: date | None = strawberry.field(
        default=None, description="Registered on or before this day (UTC)."
    )
    email_verified: bool | None = strawberry.field(
        default=None, description="Email verified or not."
    )
    has_orders: bool | None = strawberry.field(
        default=None, description="Has placed at least one order, or none."
    )
    external_id: list[str] | None = strawberry.field(
        default=None, description="Any of these external (partner system) ids."
    )
    updated_from: datetime | None = strawberry.field(
        default=None, description="Changed at or after this time."
    )
    updated_to: datetime | None = strawberry.field(
        default=None, description="Changed before this time."
    )


@strawberry.input(description="Order of the customer list; ties are broken by id.")
class CustomerSort:
    field: CustomerSortField = strawberry.field(description="What to sort by.")
    direction: SortDirection = strawberry.field(
        default=SortDirection.ASC, description="Ascending or descending."
    )
