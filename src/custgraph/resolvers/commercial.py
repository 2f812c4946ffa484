"""Commercial data of a customer: sales rep, price list, tags, custom fields."""

from __future__ import annotations

from sqlalchemy import select
from strawberry.types import Info

from custgraph.db.models import CustomFieldDefinition as DefinitionRow
from custgraph.domain import commercial, custom_fields
from custgraph.global_id import decode_id_of
from custgraph.resolvers.access import caller_of
from custgraph.resolvers.fresh import fresh_customer
from custgraph.resolvers.outcome import attempt
from custgraph.schema import commercial_inputs as schema


async def resolve_customer_assign_sales_rep(
    info: Info, input: schema.CustomerAssignSalesRepInput
) -> schema.CustomerAssignSalesRepPayload:
    customer_id = decode_id_of("Customer", input.customer_id, "customerId")
    sales_rep_id = (
        None
        if input.sales_rep_id is None
        else decode_id_of("StaffUser", input.sales_rep_id, "salesRepId")
    )
    changed, errors = await attempt(
        commercial.assign_sales_rep(
            info.context.session_factory,
            caller_of(info),
            customer_id,
            sales_rep_id,
            expected_version=input.expected_version,
        )
    )
    return schema.CustomerAssignSalesRepPayload(
        customer=await fresh_customer(info, changed), user_errors=errors
    )


async def resolve_customer_assign_price_list(
    info: Info, input: schema.CustomerAssignPriceListInput
) -> schema.CustomerAssignPriceListPayload:
    customer_id = decode_id_of("Customer", input.customer_id, "customerId")
    changed, errors = await attempt(
        commercial.assign_price_list(
            info.context.session_factory,
            caller_of(info),
            customer_id,
            input.price_list,
            expected_version=input.expected_version,
        )
    )
    return schema.CustomerAssignPriceListPayload(
        customer=await fresh_customer(info, changed), user_errors=errors
    )


async def resolve_customer_tags_add(
    info: Info, input: schema.CustomerTagsAddInput
) -> schema.CustomerTagsAddPayload:
    customer_id = decode_id_of("Customer", input.customer_id, "customerId")
    changed, errors = await attempt(
        commercial.add_tags(
            info.context.session_factory,
            caller_of(info),
            customer_id,
            input.tags,
            expected_version=input.expected_version,
        )
    )
    return schema.CustomerTagsAddPayload(
        customer=await fresh_customer(info, changed), user_errors=errors
    )


async def resolve_customer_tags_remove(
    info: Info, input: schema.CustomerTagsRemoveInput
) -> schema.CustomerTagsRemovePayload:
    customer_id = decode_id_of("Customer", input.customer_id, "customerId")
    changed, errors = await attempt(
        commercial.remove_tags(
            info.context.session_factory,
            caller_of(info),
            customer_id,
            input.tags,
            expected_version=input.expected_version,
        )
    )
    return schema.CustomerTagsRemovePayload(
        customer=await fresh_customer(info, changed), user_errors=errors
    )


async def resolve_customer_set_custom_fields(
    info: Info, input: schema.CustomerSetCustomFieldsInput
) -> schema.CustomerSetCustomFieldsPayload:
    customer_id = decode_id_of("Customer", input.customer_id, "customerId")
    changed, errors = await attempt(
        custom_fields.set_custom_fields(
            info.context.session_factory,
            caller_of(info),
            customer_id,
            [custom_fields.FieldValue(key=v.key, value=v.value) for v in input.values],
            expected_version=input.expected_version,
        )
    )
    return schema.CustomerSetCustomFieldsPayload(
        customer=await fresh_customer(info, changed), user_errors=errors
    )


async def resolve_custom_field_define(
    info: Info, input: schema.CustomFieldDefineInput
) -> schema.CustomFieldDefinePayload:
    definition, errors = await attempt(
        custom_fields.define_custom_field(
            info.context.session_factory,
            key=input.key,
            label=input.label,
            type=input.type.name,
            description=input.description,
        )
    )
    return schema.CustomFieldDefinePayload(
        custom_field_definition=schema.CustomFieldDefinition.from_row(definition)
        if definition
        else None,
        user_errors=errors,
    )


async def resolve_custom_field_definitions(info: Info) -> list[schema.CustomFieldDefinition]:
    rows = await info.context.reader.all(
        select(DefinitionRow.__table__).order_by(DefinitionRow.key)
    )
    return [schema.CustomFieldDefinition.from_row(row) for row in rows]
