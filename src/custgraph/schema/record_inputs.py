"""Inputs and payloads of the customer record's mutations."""

from __future__ import annotations

from datetime import date
from enum import Enum

import strawberry

from custgraph.schema.address import Address
from custgraph.schema.customer import Customer
from custgraph.schema.enums import Gender
from custgraph.schema.idempotency import idempotency_key_field
from custgraph.schema.user_errors import UserError

UNSET = strawberry.UNSET


@strawberry.input(description="An identity document.")
class IdDocumentInput:
    type: str = strawberry.field(description="Kind of document, e.g. `PASSPORT`.")
    number: str = strawberry.field(description="Document number.")


@strawberry.input(description="A new customer record.")
class CustomerCreateInput:
    email: str | None = strawberry.field(default=None, description="Email address.")
    first_name: str = strawberry.field(description="First name.")
    last_name: str = strawberry.field(description="Last name.")
    salutation: str | None = strawberry.field(default=None, description="Salutation.")
    phone: str | None = strawberry.field(default=None, description="Phone, E.164.")
    company: str | None = strawberry.field(default=None, description="Company.")
    gender: Gender | None = strawberry.field(default=None, description="Gender.")
    date_of_birth: date | None = strawberry.field(default=None, description="Date of birth.")
    locale: str | None = strawberry.field(default=None, description="Locale, e.g. `de-DE`.")
    city: str | None = strawberry.field(default=None, description="City.")
    external_id: str | None = strawberry.field(default=None, description="ERP or partner id.")
    account_number: str | None = strawberry.field(default=None, description="Account number.")
    tags: list[str] = strawberry.field(default_factory=list, description="Tags.")
    send_set_password_email: bool = strawberry.field(
        default=False,
        description="Email an invitation to choose a password instead of the verification "
        "link; using it verifies the email and activates the customer.",
    )
    send_verification_email: bool = strawberry.field(
        default=True,
        description="Email a verify-email link when an email is given (the customer stays "
        "UNVERIFIED until it is used); false for imports that must not mail anyone. Staff "
        "can activate the customer with `customerSetStatus` either way.",
    )
    idempotency_key: str | None = idempotency_key_field()


@strawberry.type(description="The result of `customerCreate`.")
class CustomerCreatePayload:
    customer: Customer | None = strawberry.field(description="The new customer.")
    user_errors: list[UserError] = strawberry.field(description="Why creation was refused.")


@strawberry.input(description="The editable fields of a customer, each changed only when given.")
class CustomerFieldsInput:
    salutation: str | None = strawberry.field(default=UNSET, description="Salutation.")
    first_name: str | None = strawberry.field(default=UNSET, description="First name.")
    last_name: str | None = strawberry.field(default=UNSET, description="Last name.")
    phone: str | None = strawberry.field(default=UNSET, description="Phone, E.164.")
    company: str | None = strawberry.field(default=UNSET, description="Company.")
    gender: Gender | None = strawberry.field(default=UNSET, description="Gender.")
    date_of_birth: date | None = strawberry.field(default=UNSET, description="Date of birth.")
    locale: str | None = strawberry.field(default=UNSET, description="Locale, e.g. `de-DE`.")
    city: str | None = strawberry.field(default=UNSET, description="City.")
    id_document: IdDocumentInput | None = strawberry.field(
        default=UNSET, description="Identity document."
    )
    external_id: str | None = strawberry.field(default=UNSET, description="ERP or partner id.")
    account_number: str | None = strawberry.field(default=UNSET, description="Account number.")
    registration_code: str | None = strawberry.field(
        default=UNSET, description="Registration code."
    )
    discount_group: str | None = strawberry.field(default=UNSET, description="Discount group.")
    branch: str | None = strawberry.field(default=UNSET, description="Branch.")
    department: str | None = strawberry.field(default=UNSET, description="Department.")
    payment_terms: str | None = strawberry.field(
        default=UNSET, description="Payment terms. Requires `customers:admin`."
    )
    credit_limit: str | None = strawberry.field(
        default=UNSET, description="Credit limit, a decimal string. Requires `customers:admin`."
    )
    commission_reduced_percent: str | None = strawberry.field(
        default=UNSET, description="Reduced commission in percent. Requires `customers:admin`."
    )


@strawberry.input(
    description="Changes to a customer; only the fields given change, null clears a field."
)
class CustomerUpdateInput(CustomerFieldsInput):
    customer_id: strawberry.ID = strawberry.field(description="The customer to change.")
    expected_version: int | None = strawberry.field(
        default=None, description="Refuse with CONFLICT unless the customer has this version."
    )
    idempotency_key: str | None = idempotency_key_field()


@strawberry.input(
    description="A customer by the id a partner system gave it: created when no customer has "
    "it, else the given fields changed (null clears one)."
)
class CustomerUpsertInput(CustomerFieldsInput):
    external_id: str = strawberry.field(description="The partner system's id of the customer.")
    expected_version: int | None = strawberry.field(
        default=None,
        description="The version the partner last synced; CONFLICT (with the current record "
        "and the fields changed since) when the customer has another, so that nothing is "
        "overwritten blindly. Given, the customer must exist.",
    )
    email: str | None = strawberry.field(
        default=None,
        description="The email, set when the customer is created; an existing customer's "
        "changes with `customerChangeEmail`.",
    )
    tags: list[str] = strawberry.field(
        default_factory=list, description="Tags of a customer created here."
    )
    send_verification_email: bool = strawberry.field(
        default=False, description="Email a new customer the verify-email link."
    )
    idempotency_key: str | None = idempotency_key_field()


@strawberry.type(description="What changed on the customer since the version a partner expected.")
class CustomerUpsertConflict:
    current_version: int = strawberry.field(description="The customer's version now.")
    changed_fields: list[str] = strawberry.field(
        description="Fields changed since the expected version (from the change feed)."
    )


@strawberry.type(description="The result of `customerUpsert`.")
class CustomerUpsertPayload:
    customer: Customer | None = strawberry.field(
        description="The customer created or changed; on CONFLICT, the customer as it is now."
    )
    created: bool | None = strawberry.field(description="True when the customer was created.")
    conflict: CustomerUpsertConflict | None = strawberry.field(
        description="On CONFLICT, what changed meanwhile."
    )
    user_errors: list[UserError] = strawberry.field(description="Why it was refused.")


@strawberry.type(description="The result of `customerUpdate`.")
class CustomerUpdatePayload:
    customer: Customer | None = strawberry.field(description="The changed customer.")
    user_errors: list[UserError] = strawberry.field(description="Why the change was refused.")


@strawberry.input(description="A postal address.")
class AddressInput:
    salutation: str | None = strawberry.field(default=None, description="Salutation.")
    first_name: str | None = strawberry.field(default=None, description="Recipient's first name.")
    last_name: str | None = strawberry.field(default=None, description="Recipient's last name.")
    company: str | None = strawberry.field(default=None, description="Company.")
    line1: str = strawberry.field(description="Street and number.")
    line2: str | None = strawberry.field(default=None, description="Second line.")
    line3: str | None = strawberry.field(default=None, description="Third line.")
    postal_code: str | None = strawberry.field(default=None, description="Postal code.")
    city: str = strawberry.field(description="City.")
    region: str | None = strawberry.field(default=None, description="Region or state.")
    country: str = strawberry.field(description="ISO 3166-1 alpha-2 country code.")
    phone: str | None = strawberry.field(default=None, description="Phone, E.164.")


@strawberry.enum(description="Which default address.")
class AddressKind(Enum):
    BILLING = strawberry.enum_value("BILLING", description="Where invoices go.")
    SHIPPING = strawberry.enum_value("SHIPPING", description="Where parcels go.")


@strawberry.input(description="A new address for a customer.")
class CustomerAddressCreateInput:
    customer_id: strawberry.ID = strawberry.field(description="The customer.")
    address: AddressInput = strawberry.field(description="The address.")
    expected_version: int | None = strawberry.field(
        default=None, description="Refuse with CONFLICT unless the customer has this version."
    )
    idempotency_key: str | None = idempotency_key_field()


@strawberry.input(description="New fields for an address.")
class CustomerAddressUpdateInput:
    address_id: strawberry.ID = strawberry.field(description="The address to change.")
    address: AddressInput = strawberry.field(description="All of its fields.")
    expected_version: int | None = strawberry.field(
        default=None, description="Refuse with CONFLICT unless the customer has this version."
    )
    idempotency_key: str | None = idempotency_key_field()


@strawberry.input(description="The address to delete.")
class CustomerAddressDeleteInput:
    address_id: strawberry.ID = strawberry.field(description="The address to delete.")
    expected_version: int | None = strawberry.field(
        default=None, description="Refuse with CONFLICT unless the customer has this version."
    )
    idempotency_key: str | None = idempotency_key_field()


@strawberry.input(description="The address to make a default.")
class CustomerAddressSetDefaultInput:
    address_id: strawberry.ID = strawberry.field(description="The address.")
    kind: AddressKind = strawberry.field(description="Billing or shipping.")
    expected_version: int | None = strawberry.field(
        default=None, description="Refuse with CONFLICT unless the customer has this version."
    )
    idempotency_key: str | None = idempotency_key_field()


@strawberry.type(description="The result of an address mutation.")
class CustomerAddressPayload:
    customer: Customer | None = strawberry.field(description="The customer.")
    address: Address | None = strawberry.field(description="The address created or changed.")
    user_errors: list[UserError] = strawberry.field(description="Why the change was refused.")


@strawberry.type(description="The result of `customerAddressDelete`.")
class CustomerAddressDeletePayload:
    customer: Customer | None = strawberry.field(description="The customer.")
    deleted_address_id: strawberry.ID | None = strawberry.field(
        description="The id of the deleted address."
    )
    user_errors: list[UserError] = strawberry.field(description="Why deletion was refused.")
