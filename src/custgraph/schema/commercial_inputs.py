"""The types, inputs and payloads of a customer's commercial data: sales rep, price list,
tags and custom fields."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

# The resolvers build this module's payloads, so each side imports the other as a
# module (never names from it), which works in either import order.
from custgraph.schema.customer import Customer
from custgraph.schema.enums import CustomFieldType
from custgraph.schema.user_errors import UserError


@strawberry.type(description="An admin-defined custom field that customers can hold values of.")
class CustomFieldDefinition:
    key: str = strawberry.field(description="Unique key, e.g. `vat_number`.")
    label: str = strawberry.field(description="Label for people.")
    type: CustomFieldType = strawberry.field(description="The type of its values; never changes.")
    description: str | None = strawberry.field(description="What the field is for.")
    created_at: datetime = strawberry.field(description="When the field was defined.")

    @classmethod
    def from_row(cls, row: Any) -> CustomFieldDefinition:
        return cls(
            key=row.key,
            label=row.label,
            type=CustomFieldType(row.type),
            description=row.description,
            created_at=row.created_at,
        )


@strawberry.input(description="The sales rep to assign to a customer.")
class CustomerAssignSalesRepInput:
    customer_id: strawberry.ID = strawberry.field(description="The customer.")
    sales_rep_id: strawberry.ID | None = strawberry.field(
        default=None, description="An active staff user; null (or omitted) unassigns."
    )
    expected_version: int | None = strawberry.field(
        default=None, description="The customer's version you read; CONFLICT when stale."
    )


@strawberry.type(description="The result of `customerAssignSalesRep`.")
class CustomerAssignSalesRepPayload:
    customer: Customer | None = strawberry.field(description="The customer as changed.")
    user_errors: list[UserError] = strawberry.field(description="Why the change was refused.")


@strawberry.input(description="The price list to apply to a customer.")
class CustomerAssignPriceListInput:
    customer_id: strawberry.ID = strawberry.field(description="The customer.")
    price_list: str | None = strawberry.field(
        default=None, description="Price list name, 1 to 64 characters; null (or omitted) clears."
    )
    expected_version: int | None = strawberry.field(
        default=None, description="The customer's version you read; CONFLICT when stale."
    )


@strawberry.type(description="The result of `customerAssignPriceList`.")
class CustomerAssignPriceListPayload:
    customer: Customer | None = strawberry.field(description="The customer as changed.")
    user_errors: list[UserError] = strawberry.field(description="Why the change was refused.")


@strawberry.input(description="Tags to add to a customer.")
class CustomerTagsAddInput:
    customer_id: strawberry.ID = strawberry.field(description="The customer.")
    tags: list[str] = strawberry.field(
        description="Tags of 1 to 40 characters (trimmed); ones the customer has, in any "
        "letter case, are skipped. A customer has at most 50."
    )
    expected_version: int | None = strawberry.field(
        default=None, description="The customer's version you read; CONFLICT when stale."
    )


@strawberry.type(description="The result of `customerTagsAdd`.")
class CustomerTagsAddPayload:
    customer: Customer | None = strawberry.field(description="The customer as changed.")
    user_errors: list[UserError] = strawberry.field(description="Why the change was refused.")


@strawberry.input(description="Tags to remove from a customer.")
class CustomerTagsRemoveInput:
    customer_id: strawberry.ID = strawberry.field(description="The customer.")
    tags: list[str] = strawberry.field(
        description="Tags to remove, in any letter case; ones the customer lacks are skipped."
    )
    expected_version: int | None = strawberry.field(
        default=None, description="The customer's version you read; CONFLICT when stale."
    )


@strawberry.type(description="The result of `customerTagsRemove`.")
class CustomerTagsRemovePayload:
    customer: Customer | None = strawberry.field(description="The customer as changed.")
    user_errors: list[UserError] = strawberry.field(description="Why the change was refused.")


@strawberry.input(description="A custom field value to set or remove.")
class CustomFieldValueInput:
    key: str = strawberry.field(description="The field's key, e.g. `vat_number`.")
    value: str | None = strawberry.field(
        default=None,
        description="The value as text in the field's type (INTEGER `42`, DECIMAL `1250.50`, "
        "DATE `2024-03-01`, BOOLEAN `true`, TEXT up to 1000 characters); null removes it.",
    )


@strawberry.input(description="Custom field values to set on a customer, all or none.")
class CustomerSetCustomFieldsInput:
    customer_id: strawberry.ID = strawberry.field(description="The customer.")
    values: list[CustomFieldValueInput] = strawberry.field(
        description="Values to set or remove; fields not named keep their values."
    )
    expected_version: int | None = strawberry.field(
        default=None, description="The customer's version you read; CONFLICT when stale."
    )


@strawberry.type(description="The result of `customerSetCustomFields`.")
class CustomerSetCustomFieldsPayload:
    customer: Customer | None = strawberry.field(description="The customer as changed.")
    user_errors: list[UserError] = strawberry.field(description="Why the change was refused.")


@strawberry.input(description="A new custom field definition.")
class CustomFieldDefineInput:
    key: str = strawberry.field(
        description="Unique key: a lower-case letter, then up to 63 lower-case letters, "
        "digits or underscores."
    )
    label: str = strawberry.field(description="Label for people, 1 to 100 characters.")
    type: CustomFieldType = strawberry.field(description="The type of its values; fixed for good.")
    description: str | None = strawberry.field(
        default=None, description="What the field is for, up to 500 characters."
    )


@strawberry.type(description="The result of `customFieldDefine`.")
class CustomFieldDefinePayload:
    custom_field_definition: CustomFieldDefinition | None = strawberry.field(
        description="The new definition."
    )
    user_errors: list[UserError] = strawberry.field(description="Why the definition was refused.")
