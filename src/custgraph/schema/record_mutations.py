"""Mutations of the customer record: create, update, and the customer's addresses."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from custgraph.auth.permissions import Permission as P
from custgraph.resolvers import record
from custgraph.schema.mutation_access import Access, OwnRecord, mutation
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

_OWN_CUSTOMER = Access(P.CUSTOMERS_WRITE, OwnRecord.BY_CUSTOMER_ID)
_OWN_ROW = Access(P.CUSTOMERS_WRITE, OwnRecord.BY_ROW)
_OWN_ADDRESS = "{what} {{requires}} (or the customer themselves)."


@strawberry.type(description="Creating and editing customer records and their addresses.")
class RecordMutations:
    @mutation(
        requires=P.CUSTOMERS_WRITE,
        description="Open a customer record, UNVERIFIED until the emailed link is used (or staff "
        "activate it).",
    )
    async def customer_create(
        self, info: Info, input: CustomerCreateInput
    ) -> CustomerCreatePayload:
        return await record.resolve_customer_create(info, input)

    @mutation(
        requires=_OWN_CUSTOMER,
        description="Change fields of a customer. {requires} (a customer may change their "
        "own person fields).",
    )
    async def customer_update(
        self, info: Info, input: CustomerUpdateInput
    ) -> CustomerUpdatePayload:
        return await record.resolve_customer_update(info, input)

    @mutation(
        requires=P.CUSTOMERS_WRITE,
        description="Create or update the customer with this external (ERP) id; with "
        "`expectedVersion`, refused with CONFLICT, the current record and the fields "
        "changed since when the customer has another version.",
    )
    async def customer_upsert(
        self, info: Info, input: CustomerUpsertInput
    ) -> CustomerUpsertPayload:
        return await record.resolve_customer_upsert(info, input)

    @mutation(requires=_OWN_CUSTOMER, description=_OWN_ADDRESS.format(what="Add an address."))
    async def customer_address_create(
        self, info: Info, input: CustomerAddressCreateInput
    ) -> CustomerAddressPayload:
        return await record.resolve_address_create(info, input)

    @mutation(requires=_OWN_ROW, description=_OWN_ADDRESS.format(what="Change an address."))
    async def customer_address_update(
        self, info: Info, input: CustomerAddressUpdateInput
    ) -> CustomerAddressPayload:
        return await record.resolve_address_update(info, input)

    @mutation(requires=_OWN_ROW, description=_OWN_ADDRESS.format(what="Delete an address."))
    async def customer_address_delete(
        self, info: Info, input: CustomerAddressDeleteInput
    ) -> CustomerAddressDeletePayload:
        return await record.resolve_address_delete(info, input)

    @mutation(
        requires=_OWN_ROW,
        description=_OWN_ADDRESS.format(
            what="Make an address the default billing or shipping address."
        ),
    )
    async def customer_address_set_default(
        self, info: Info, input: CustomerAddressSetDefaultInput
    ) -> CustomerAddressPayload:
        return await record.resolve_address_set_default(info, input)
