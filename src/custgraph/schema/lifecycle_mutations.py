"""Mutations of a customer's lifecycle: status, sign-in email, merge, delete, erase."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from custgraph.auth.permissions import Permission
from custgraph.resolvers import lifecycle
from custgraph.schema.lifecycle_inputs import (
    CustomerChangeEmailInput,
    CustomerChangeEmailPayload,
    CustomerDeleteInput,
    CustomerDeletePayload,
    CustomerEraseInput,
    CustomerErasePayload,
    CustomerMergeInput,
    CustomerMergePayload,
    CustomerSetStatusInput,
    CustomerSetStatusPayload,
)
from custgraph.schema.mutation_access import Access, OwnRecord, mutation


@strawberry.type(description="A customer's lifecycle: status, sign-in email, merge, delete, erase.")
class LifecycleMutations:
    @mutation(
        requires=Permission.CUSTOMERS_WRITE,
        description="Block, unblock, deactivate, reactivate or disable a customer; blocking, "
        "deactivating and disabling end their sessions.",
    )
    async def customer_set_status(
        self, info: Info, input: CustomerSetStatusInput
    ) -> CustomerSetStatusPayload:
        return await lifecycle.resolve_customer_set_status(info, input)

    @mutation(
        requires=Access(Permission.CUSTOMERS_WRITE, OwnRecord.BY_CUSTOMER_ID),
        description="Change a customer's sign-in email: the old one stops working, the new one is "
        "verified by email and the old address is told. A customer may change their own.",
    )
    async def customer_change_email(
        self, info: Info, input: CustomerChangeEmailInput
    ) -> CustomerChangeEmailPayload:
        return await lifecycle.resolve_customer_change_email(info, input)

    @mutation(
        requires=Permission.CUSTOMERS_MERGE,
        description="Merge a duplicate customer into another in one transaction; the source ends "
        "MERGED.",
    )
    async def customer_merge(self, info: Info, input: CustomerMergeInput) -> CustomerMergePayload:
        return await lifecycle.resolve_customer_merge(info, input)

    @mutation(
        requires=Permission.CUSTOMERS_DELETE,
        description="Delete a customer without orders, store credit or live gift cards (block or "
        "erase the others).",
    )
    async def customer_delete(
        self, info: Info, input: CustomerDeleteInput
    ) -> CustomerDeletePayload:
        return await lifecycle.resolve_customer_delete(info, input)

    @mutation(
        requires=Permission.CUSTOMERS_DELETE,
        description="Erase a customer's personal data for good (GDPR); orders and ledgers "
        "are kept, anonymised.",
    )
    async def customer_erase(self, info: Info, input: CustomerEraseInput) -> CustomerErasePayload:
        return await lifecycle.resolve_customer_erase(info, input)
