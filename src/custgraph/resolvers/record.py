"""Creating and editing customer records and their addresses."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from custgraph.api_errors import forbidden
from custgraph.auth.permissions import Permission
from custgraph.domain import addresses, customer_record, customer_upsert
from custgraph.domain.errors import DomainError
from custgraph.global_id import decode_id_of, encode_global_id
from custgraph.resolvers.access import caller_of
from custgraph.resolvers.fresh import fresh_customer
from custgraph.resolvers.outcome import attempt
from custgraph.schema.address import Address
from custgraph.schema.record_inputs import (
    AddressInput,
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
    CustomerUpsertConflict,
    CustomerUpsertInput,
    CustomerUpsertPayload,
)
from custgraph.schema.user_errors import user_error

P = Permission


def _given(input: Any, names: list[str]) -> dict[str, Any]:
    """The input fields the client sent, by their Python (the domain's) names, with enums
    and nested inputs as values."""
    values: dict[str, Any] = {}
    for name in names:
        value = getattr(input, name)
        if value is strawberry.UNSET:
            continue
        if hasattr(value, "name") and hasattr(value, "value"):  # an enum member
            value = value.name
        elif value is not None and hasattr(value, "__dataclass_fields__"):
            value = {k: getattr(value, k) for k in value.__dataclass_fields__}
        values[name] = value
    return values


UPDATE_FIELDS = [
    "salutation",
    "first_name",
    "last_name",
    "phone",
    "company",
    "gender",
    "date_of_birth",
    "locale",
    "city",
    "id_document",
    "external_id",
    "account_number",
    "registration_code",
    "discount_group",
    "branch",
    "department",
    "payment_terms",
    "credit_limit",
    "commission_reduced_percent",
]
CREATE_FIELDS = [
    "first_name",
    "last_name",
    "salutation",
    "phone",
    "company",
    "gender",
    "date_of_birth",
    "locale",
    "city",
    "external_id",
    "account_number",
]


def _address_values(address: AddressInput) -> dict[str, Any]:
    return _given(address, list(address.__dataclass_fields__))


def _rules(info: Info) -> addresses.AddressRules:
    groups = info.context.settings.address_locked_discount_groups
    return addresses.AddressRules(locked_discount_groups=frozenset(groups))


def _editable_values(info: Info, input: Any) -> dict[str, Any]:
    """The editable fields the input gives; FORBIDDEN when some need `customers:admin`."""
    values = _given(input, UPDATE_FIELDS)
    admin_fields = customer_record.ADMIN_FIELDS & values.keys()
    if admin_fields and not info.context.principal.can(P.CUSTOMERS_ADMIN):
        named = sorted(customer_record.EDITABLE_FIELDS[name].logged_as for name in admin_fields)
        raise forbidden(f"Changing {', '.join(named)} requires `customers:admin`.")
    return values


async def resolve_customer_create(info: Info, input: CustomerCreateInput) -> CustomerCreatePayload:
    created, errors = await attempt(
        customer_record.create_customer(
            info.context.session_factory,
            info.context.settings,
            caller_of(info),
            customer_record.NewCustomer(
                email=input.email,
                values={k: v for k, v in _given(input, CREATE_FIELDS).items() if v is not None},
                tags=input.tags,
                send_set_password_email=input.send_set_password_email,
                send_verification_email=input.send_verification_email,
            ),
            input.idempotency_key,
        )
    )
    return CustomerCreatePayload(
        customer=await fresh_customer(info, created.id if created else None), user_errors=errors
    )


async def resolve_customer_update(info: Info, input: CustomerUpdateInput) -> CustomerUpdatePayload:
    customer_id = decode_id_of("Customer", input.customer_id, "customerId")
    values = _editable_values(info, input)
    updated, errors = await attempt(
        customer_record.update_customer(
            info.context.session_factory,
            caller_of(info),
            customer_id,
            values,
            input.expected_version,
            input.idempotency_key,
        )
    )
    return CustomerUpdatePayload(
        customer=await fresh_customer(info, updated.id if updated else None), user_errors=errors
    )


async def resolve_customer_upsert(info: Info, input: CustomerUpsertInput) -> CustomerUpsertPayload:
    values = _editable_values(info, input)
    try:
        done = await customer_upsert.upsert_customer(
            info.context.session_factory,
            info.context.settings,
            caller_of(info),
            input.external_id,
            customer_record.NewCustomer(
                email=input.email,
                values=values,
                tags=input.tags,
                send_set_password_email=False,
                send_verification_email=input.send_verification_email,
            ),
            expected_version=input.expected_version,
            idempotency_key=input.idempotency_key,
        )
    except customer_upsert.VersionConflict as conflict:
        return CustomerUpsertPayload(
            customer=await fresh_customer(info, conflict.customer_id),
            created=None,
            conflict=CustomerUpsertConflict(
                current_version=conflict.current_version, changed_fields=conflict.changed_fields
            ),
            user_errors=[user_error(conflict)],
        )
    except DomainError as error:
        return CustomerUpsertPayload(
            customer=None, created=None, conflict=None, user_errors=[user_error(error)]
        )
    return CustomerUpsertPayload(
        customer=await fresh_customer(info, done.customer.id),
        created=done.created,
        conflict=None,
        user_errors=[],
    )


async def _address_payload(info: Info, address: Any, errors: list[Any]) -> CustomerAddressPayload:
    if address is None:
        return CustomerAddressPayload(customer=None, address=None, user_errors=errors)
    return CustomerAddressPayload(
        customer=await fresh_customer(info, address.customer_id),
        address=Address.from_row(address),
        user_errors=[],
    )


async def resolve_address_create(
    info: Info, input: CustomerAddressCreateInput
) -> CustomerAddressPayload:
    customer_id = decode_id_of("Customer", input.customer_id, "customerId")
    address, errors = await attempt(
        addresses.add_address(
            info.context.session_factory,
            caller_of(info),
            _rules(info),
            customer_id,
            _address_values(input.address),
            input.expected_version,
            input.idempotency_key,
        )
    )
    return await _address_payload(info, address, errors)


async def resolve_address_update(
    info: Info, input: CustomerAddressUpdateInput
) -> CustomerAddressPayload:
    address_id = decode_id_of("Address", input.address_id, "addressId")
    address, errors = await attempt(
        addresses.update_address(
            info.context.session_factory,
            caller_of(info),
            _rules(info),
            address_id,
            _address_values(input.address),
            input.expected_version,
            input.idempotency_key,
        )
    )
    return await _address_payload(info, address, errors)


async def resolve_address_delete(
    info: Info, input: CustomerAddressDeleteInput
) -> CustomerAddressDeletePayload:
    address_id = decode_id_of("Address", input.address_id, "addressId")
    customer_id, errors = await attempt(
        addresses.delete_address(
            info.context.session_factory,
            caller_of(info),
            _rules(info),
            address_id,
            input.expected_version,
            input.idempotency_key,
        )
    )
    return CustomerAddressDeletePayload(
        customer=await fresh_customer(info, customer_id),
        deleted_address_id=strawberry.ID(encode_global_id("Address", address_id))
        if customer_id
        else None,
        user_errors=errors,
    )


async def resolve_address_set_default(
    info: Info, input: CustomerAddressSetDefaultInput
) -> CustomerAddressPayload:
    address_id = decode_id_of("Address", input.address_id, "addressId")
    address, errors = await attempt(
        addresses.set_default_address(
            info.context.session_factory,
            caller_of(info),
            address_id,
            input.kind.name,
            input.expected_version,
            input.idempotency_key,
        )
    )
    return await _address_payload(info, address, errors)
