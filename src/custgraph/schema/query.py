"""The root Query type: thin fields that hand over to `resolvers/`."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Annotated

import strawberry
from strawberry.types import Info

from custgraph.auth.permissions import Permission
from custgraph.resolvers.access import signed_in
from custgraph.resolvers.customers import resolve_customer, resolve_customers
from custgraph.resolvers.node import resolve_node, resolve_nodes
from custgraph.resolvers.staff_admin import resolve_api_keys, resolve_staff_users
from custgraph.schema.area_queries import (
    BulkJobQuery,
    ChangeFeedQuery,
    CustomFieldQuery,
    MergePreviewQuery,
    WebhookQuery,
)
from custgraph.schema.customer import Customer
from custgraph.schema.customer_list import CustomerFilter, CustomerSort
from custgraph.schema.mutation_access import Access, OwnRecord, root_read
from custgraph.schema.node import Node
from custgraph.schema.pagination import Connection
from custgraph.schema.staff import StaffUser
from custgraph.schema.staff_admin import ApiKey
from custgraph.schema.viewer import Viewer, viewer_kind


@strawberry.type(description="Everything that can be read.")
class Query(CustomFieldQuery, MergePreviewQuery, WebhookQuery, ChangeFeedQuery, BulkJobQuery):
    # A customer principal may read their own record: the resolver checks the row.
    @root_read(
        requires=Access(Permission.CUSTOMERS_READ, OwnRecord.BY_ROW),
        description="One customer, by its id or by its external (ERP) id.",
    )
    async def customer(
        self,
        info: Info,
        id: Annotated[
            strawberry.ID | None, strawberry.argument(description="The customer's global id.")
        ] = None,
        external_id: Annotated[
            str | None,
            strawberry.argument(description="The id a partner system gave it (`externalId`)."),
        ] = None,
    ) -> Customer | None:
        return await resolve_customer(info, id, external_id)

    @root_read(
        requires=Permission.CUSTOMERS_READ,
        description="Customers, searched, filtered and sorted, a page at a time "
        "(`first` defaults to 20, at most 100).",
    )
    async def customers(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        search: Annotated[
            str | None,
            strawberry.argument(
                description="Matches reference, names, email and phone, case-insensitively, "
                "or is a customer's whole external id."
            ),
        ] = None,
        filter: CustomerFilter | None = None,
        sort: CustomerSort | None = None,
    ) -> Connection[Customer]:
        return await resolve_customers(info, first, after, last, before, search, filter, sort)

    @strawberry.field(description="Any object by its global id.")
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        return await resolve_node(info, id)

    @strawberry.field(description="Objects by their global ids (at most 100), in order.")
    def nodes(self, info: Info, ids: list[strawberry.ID]) -> list[Node | None]:
        items: list[Awaitable[Node | None]] = resolve_nodes(info, list(ids))
        return items  # type: ignore[return-value]

    @root_read(requires=Permission.STAFF_MANAGE, description="Staff users. {requires}.")
    async def staff_users(self, info: Info) -> list[StaffUser]:
        return await resolve_staff_users(info)

    @root_read(
        requires=Permission.STAFF_MANAGE,
        description="Partner API keys with their last use. {requires}.",
    )
    async def api_keys(self, info: Info) -> list[ApiKey]:
        return await resolve_api_keys(info)

    @strawberry.field(description="Who is calling, with their permissions.")
    def viewer(self, info: Info) -> Viewer:
        principal = signed_in(info)
        return Viewer(
            kind=viewer_kind(principal.kind),
            name=principal.label,
            role=principal.role,
            permissions=sorted(p.value for p in principal.permissions),
            principal_id=principal.id,
        )
