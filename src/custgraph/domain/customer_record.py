"""Creating a customer and editing the fields of its record."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from custgraph.db.models import Customer
from custgraph.domain import profile
from custgraph.domain.caller import Caller
from custgraph.domain.customer_accounts import send_set_password, send_verification
from custgraph.domain.customer_lock import lock_customer, mark_changed
from custgraph.domain.errors import DomainError
from custgraph.domain.events import change, record_event
from custgraph.domain.idempotency import of_row, once
from custgraph.domain.references import assign_reference, placeholder_reference, refresh_search_text
from custgraph.domain.transaction import in_transaction
from custgraph.domain.validation import normalized_email
from custgraph.settings import Settings

Check = Callable[[Any, list[str]], Any]


@dataclass(frozen=True)
class EditableField:
    attribute: str  # the model's column
    name: str  # the field's name in the API, for errors and the activity log
    check: Check
    customer_may_edit: bool = False  # a customer may change it on their own record


def _text(max_length: int, required: bool = False) -> Check:
    return lambda value, field: profile.text(value, field, max_length, required)


def _id_document(value: Any, field: list[str]) -> tuple[str | None, str | None]:
    if value is None:
        return None, None
    kind = profile.text(value.get("type"), [*field, "type"], 32, required=True)
    number = profile.text(value.get("number"), [*field, "number"], 64, required=True)
    return kind, number


def _percent(value: str | None, field: list[str]) -> Decimal | None:
    return profile.amount(value, field, maximum=Decimal(100))


EDITABLE_FIELDS: dict[str, EditableField] = {
    f.name: f
    for f in [
        EditableField("salutation", "salutation", _text(32), True),
        EditableField("first_name", "firstName", _text(100, required=True), True),
        EditableField("last_name", "lastName", _text(100, required=True), True),
        EditableField("phone", "phone", profile.phone, True),
        EditableField("company", "company", _text(200), True),
        EditableField("gender", "gender", profile.gender, True),
        EditableField("date_of_birth", "dateOfBirth", profile.birth_date, True),
        EditableField("locale", "locale", profile.locale, True),
        EditableField("city", "city", _text(100), True),
        EditableField("id_document", "idDocument", _id_document),
        EditableField("external_id", "externalId", _text(64)),
        EditableField("account_number", "accountNumber", _text(64)),
        EditableField("registration_code", "registrationCode", _text(64)),
        EditableField("discount_group", "discountGroup", _text(64)),
        EditableField("branch", "branch", _text(64)),
        EditableField("department", "department", _text(64)),
        EditableField("payment_terms", "paymentTerms", _text(64)),
        EditableField("credit_limit", "creditLimit", profile.amount),
        EditableField("commission_reduced_percent", "commissionReducedPercent", _percent),
    ]
}
# Fields whose change needs `customers:admin` (the GraphQL layer checks the permission).
ADMIN_FIELDS = frozenset({"paymentTerms", "creditLimit", "commissionReducedPercent"})


def _checked(values: Mapping[str, Any], caller: Caller) -> dict[str, Any]:
    """The given fields, checked and normalised, keyed by API name."""
    checked: dict[str, Any] = {}
    for name, value in values.items():
        spec = EDITABLE_FIELDS.get(name)
        if spec is None:
            raise DomainError("INVALID", f"`{name}` cannot be edited here.", [name])
        if caller.customer_id is not None and not spec.customer_may_edit:
            raise DomainError("NOT_ALLOWED", f"Customers cannot change `{name}`.", [name])
        checked[name] = spec.check(value, [name])
    return checked


def _current(customer: Customer, name: str) -> Any:
    if name == "idDocument":
        return customer.id_document_type, customer.id_document_number
    return getattr(customer, EDITABLE_FIELDS[name].attribute)


def _assign(customer: Customer, name: str, value: Any) -> None:
    if name == "idDocument":
        customer.id_document_type, customer.id_document_number = value
    else:
        setattr(customer, EDITABLE_FIELDS[name].attribute, value)


def _shown(value: Any) -> Any:
    if isinstance(value, tuple):
        return " ".join(v for v in value if v) or None
    if isinstance(value, date):
        return value.isoformat()
    return value


async def _refuse_taken_external_id(
    session: AsyncSession, external_id: str | None, customer_id: int | None
) -> None:
    if external_id is None:
        return
    other = await session.scalar(
        select(Customer.id).where(Customer.external_id == external_id, Customer.id != customer_id)
    )
    if other is not None:
        raise DomainError("TAKEN", "Another customer has this external id.", ["externalId"])


@dataclass(frozen=True)
class NewCustomer:
    email: str | None
    values: Mapping[str, Any]
    tags: list[str]
    send_set_password_email: bool
    send_verification_email: bool = True


def checked_new_email(settings: Settings, email: str | None) -> str | None:
    """A new record's email, normalised (None when not given)."""
    if not email:
        return None
    return normalized_email(email, special_use_domains=settings.email_allow_special_use_domains)


def checked_new_values(caller: Caller, new: NewCustomer) -> dict[str, Any]:
    """A new record's fields, checked, the names required."""
    return _checked({"firstName": "", "lastName": "", **new.values}, caller)


async def open_record(
    session: AsyncSession,
    settings: Settings,
    caller: Caller,
    email: str | None,
    values: Mapping[str, Any],
    new: NewCustomer,
) -> Customer:
    """Insert the new record with its event and emailed link, in `session`'s transaction."""
    if email is not None:
        taken = await session.scalar(
            select(Customer.id).where(func.lower(Customer.email) == email.lower())
        )
        if taken is not None:
            raise DomainError("TAKEN", "Another customer has this email.", ["email"])
    await _refuse_taken_external_id(session, values.get("externalId"), None)
    customer = Customer(
        reference=placeholder_reference(),
        email=email,
        status="UNVERIFIED",
        tags=sorted({t.strip() for t in new.tags if t.strip()}),
    )
    for name, value in values.items():
        _assign(customer, name, value)
    session.add(customer)
    await assign_reference(session, customer)
    record_event(
        session,
        customer.id,
        "CUSTOMER_CREATED",
        caller.actor,
        "Customer created",
        request_id=caller.request_id,
    )
    if email is not None and new.send_set_password_email:
        await send_set_password(session, settings, customer)
    elif email is not None and new.send_verification_email:
        await send_verification(session, settings, customer)
    return customer


def _request(new: NewCustomer, email: str | None, values: Mapping[str, Any]) -> dict[str, Any]:
    """What a retry with the same idempotency key must ask for again."""
    return {
        "email": email,
        "values": dict(values),
        "tags": sorted(new.tags),
        "send_set_password_email": new.send_set_password_email,
        "send_verification_email": new.send_verification_email,
    }


async def create_customer(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    caller: Caller,
    new: NewCustomer,
    idempotency_key: str | None = None,
) -> Customer:
    """Open a customer record for someone (staff or an integration).

    The record starts UNVERIFIED, as one the customer registered themselves: the emailed
    link verifies the email and makes it ACTIVE. With `send_set_password_email` that link
    is the invitation to choose a password; otherwise, unless `send_verification_email`
    is off (an import that must not mail anyone), a verify-email link. Staff may also
    activate the record explicitly (`set_status`). A retry with the idempotency key
    gets the record it made, and makes no other.
    """
    email = checked_new_email(settings, new.email)
    if new.send_set_password_email and email is None:
        raise DomainError("REQUIRED", "An email is needed to send the invitation.", ["email"])
    values = checked_new_values(caller, new)

    async def work(session: AsyncSession) -> Customer:
        return await open_record(session, settings, caller, email, values, new)

    request = _request(new, email, values)
    return await in_transaction(
        sessions,
        once(caller, "customerCreate", idempotency_key, request, work, of_row(Customer)),
    )


def checked_changes(values: Mapping[str, Any], caller: Caller) -> dict[str, Any]:
    """The fields to change, checked and normalised, keyed by API name."""
    return _checked(values, caller)


async def apply_changes(
    session: AsyncSession, caller: Caller, customer: Customer, checked: Mapping[str, Any]
) -> Customer:
    """Set the checked fields on the locked `customer`; values equal to the current ones
    write nothing (no version bump, no event)."""
    if "externalId" in checked:
        await _refuse_taken_external_id(session, checked["externalId"], customer.id)
    changes = []
    for name, value in checked.items():
        old = _current(customer, name)
        if old != value:
            changes.append(change(name, _shown(old), _shown(value)))
            _assign(customer, name, value)
    if not changes:
        return customer
    refresh_search_text(customer)
    mark_changed(customer)
    record_event(
        session,
        customer.id,
        "CUSTOMER_UPDATED",
        caller.actor,
        f"Updated {', '.join(c['field'] for c in changes)}",
        changes,
        caller.request_id,
    )
    return customer


async def update_customer(
    sessions: async_sessionmaker[AsyncSession],
    caller: Caller,
    customer_id: int,
    values: Mapping[str, Any],
    expected_version: int | None = None,
    idempotency_key: str | None = None,
) -> Customer:
    """Change any subset of the editable fields; the log records each field's old and new value.

    A customer acting for themselves may change only their person fields. Giving
    values equal to the current ones writes nothing and keeps the version.
    """
    checked = _checked(values, caller)

    async def work(session: AsyncSession) -> Customer:
        customer = await lock_customer(session, customer_id, expected_version, caller=caller)
        return await apply_changes(session, caller, customer, checked)

    request = {"customer_id": customer_id, "values": checked, "expected_version": expected_version}
    return await in_transaction(
        sessions,
        once(caller, "customerUpdate", idempotency_key, request, work, of_row(Customer)),
    )
