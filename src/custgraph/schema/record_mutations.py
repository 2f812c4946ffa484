"""Mutations of the customer record: create, update, and the customer's addresses."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from custgraph.resolvers import record
from custgraph.schema.record_inputs import (
    CustomerAddressCreateInput,
    CustomerAddressDeleteInput,
    CustomerAddressDeletePayload,
    CustomerAddressPayload,
    CustomerAddressSetDefaultInput,
    CustomerAddressUpdateInput,
    CustomerCreateInput,
    CustomerCreatePayload,
    CustomerUpdateInput,
    CustomerUpdatePayload,
    CustomerUpsertInput,
    CustomerUpsertPayload,
)


@strawberry.type(description="Creating and editing customer records and their addresses.")
class RecordMutations:
    @strawberry.mutation(
        description="Open a customer record, UNVERIFIED until the emailed link is used (or "
        "staff activate it). Requires `customers:write`."
    )
    async def customer_create(
        self, info: Info, input: CustomerCreateInput
    ) -> CustomerCreatePayload:
        return await record.resolve_customer_create(info, input)

    @strawberry.mutation(
        description="Change fields of a customer. Requires `customers:write` (a customer may "
        "change their own person fields)."
    )
    async def customer_update(
        self, info: Info, input: CustomerUpdateInput
    ) -> CustomerUpdatePayload:
        return await record.resolve_customer_update(info, input)

    @strawberry.mutation(
        description="Create or update the customer with this external (ERP) id; with "
        "`expectedVersion`, refused with CONFLICT, the current record and the fields changed "
        "since when the customer has another version. Requires `customers:write`."
    )
    async def customer_upsert(
        self, info: Info, input: CustomerUpsertInput
    ) -> CustomerUpsertPayload:
        return await record.resolve_customer_upsert(info, input)

    @strawberry.mutation(
        description="Add an address. Requires `customers:write` (or the customer themselves)."
    )
    async def customer_address_create(
        self, info: Info, input: CustomerAddressCreateInput
    ) -> CustomerAddressPayload:
        return await record.resolve_address_create(info, input)

    @strawberry.mutation(
        description="Change an address. Requires `customers:write` (or the customer themselves)."
    )
    async def customer_address_update(
        self, info: Info, input: CustomerAddressUpdateInput
    ) -> CustomerAddressPayload:
        return await record.resolve_address_update(info, input)

    @strawberry.mutation(
        description="Delete an address. Requires `customers:write` (or the customer themselves)."
    )
    async def customer_address_delete(
        self, info: Info, input: CustomerAddressDeleteInput
    ) -> CustomerAddressDeletePayload:
        return await record.resolve_address_delete(info, input)

    @strawberry.mutation(
        description="Make an address the default billing or shipping address. Requires "
        "`customers:write` (or the customer themselves)."
    )
    async def customer_address_set_default(
        self, info: Info, input: CustomerAddressSetDefaultInput
    ) -> CustomerAddressPayload:
        return await record.resolve_address_set_default(info, input)
