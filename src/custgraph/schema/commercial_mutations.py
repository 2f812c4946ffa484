"""Mutations of a customer's commercial data: sales rep, price list, tags, custom fields."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from custgraph.auth.permissions import Permission as P
from custgraph.resolvers import commercial
from custgraph.schema.commercial_inputs import (
    CustomerAssignPriceListInput,
    CustomerAssignPriceListPayload,
    CustomerAssignSalesRepInput,
    CustomerAssignSalesRepPayload,
    CustomerSetCustomFieldsInput,
    CustomerSetCustomFieldsPayload,
    CustomerTagsAddInput,
    CustomerTagsAddPayload,
    CustomerTagsRemoveInput,
    CustomerTagsRemovePayload,
    CustomFieldDefineInput,
    CustomFieldDefinePayload,
)
from custgraph.schema.mutation_access import mutation


@strawberry.type(description="Changing a customer's commercial data and custom fields.")
class CommercialMutations:
    @mutation(
        requires=P.CUSTOMERS_ADMIN,
        description="Assign a customer's sales rep, or unassign with null.",
    )
    async def customer_assign_sales_rep(
        self, info: Info, input: CustomerAssignSalesRepInput
    ) -> CustomerAssignSalesRepPayload:
        return await commercial.resolve_customer_assign_sales_rep(info, input)

    @mutation(
        requires=P.CUSTOMERS_ADMIN,
        description="Apply a price list to a customer, or clear it with null.",
    )
    async def customer_assign_price_list(
        self, info: Info, input: CustomerAssignPriceListInput
    ) -> CustomerAssignPriceListPayload:
        return await commercial.resolve_customer_assign_price_list(info, input)

    @mutation(
        requires=P.CUSTOMERS_WRITE,
        description="Add tags to a customer; adding ones it has changes nothing.",
    )
    async def customer_tags_add(
        self, info: Info, input: CustomerTagsAddInput
    ) -> CustomerTagsAddPayload:
        return await commercial.resolve_customer_tags_add(info, input)

    @mutation(
        requires=P.CUSTOMERS_WRITE,
        description="Remove tags from a customer; removing ones it lacks changes nothing.",
    )
    async def customer_tags_remove(
        self, info: Info, input: CustomerTagsRemoveInput
    ) -> CustomerTagsRemovePayload:
        return await commercial.resolve_customer_tags_remove(info, input)

    @mutation(
        requires=P.CUSTOMERS_WRITE,
        description="Set or remove a customer's custom field values, each checked against "
        "its type.",
    )
    async def customer_set_custom_fields(
        self, info: Info, input: CustomerSetCustomFieldsInput
    ) -> CustomerSetCustomFieldsPayload:
        return await commercial.resolve_customer_set_custom_fields(info, input)

    @mutation(
        requires=P.CUSTOMERS_ADMIN,
        description="Define a custom field customers can hold values of.",
    )
    async def custom_field_define(
        self, info: Info, input: CustomFieldDefineInput
    ) -> CustomFieldDefinePayload:
        return await commercial.resolve_custom_field_define(info, input)
