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
from custgraph.domain.customer_action import (
    Act,
    CustomerAction,
    Outcome,
    act_on_customer,
    changed,
    unchanged,
)
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
    name: str  # the domain's name: the model's attribute
    # How the activity log, the change feed and errors name the field. Partners read
    # these names in the feed and in stored events, so they are part of the record's
    # history, not a choice of the API layer.
    logged_as: str
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
ADMIN_FIELDS = frozenset({"payment_terms", "credit_limit", "commission_reduced_percent"})


def _checked(values: Mapping[str, Any], caller: Caller) -> dict[str, Any]:
    """The given fields (by the domain's names), checked and normalised."""
    checked: dict[str, Any] = {}
    for name, value in values.items():
        spec = EDITABLE_FIELDS.get(name)
        if spec is None:
            raise DomainError("INVALID", f"`{name}` cannot be edited here.", [name])
        if caller.customer_id is not None and not spec.customer_may_edit:
            raise DomainError(
                "NOT_ALLOWED", f"Customers cannot change `{spec.logged_as}`.", [spec.logged_as]
            )
        checked[name] = spec.check(value, [spec.logged_as])
    return checked


def as_logged(values: Mapping[str, Any]) -> dict[str, Any]:
    """`values` keyed as the log names the fields. Idempotency fingerprints use these
    names, as they did when the keys stored so far were made."""
    return {EDITABLE_FIELDS[name].logged_as: value for name, value in values.items()}


def _current(customer: Customer, name: str) -> Any:
    if name == "id_document":
        return customer.id_document_type, customer.id_document_number
    return getattr(customer, name)


def _assign(customer: Customer, name: str, value: Any) -> None:
    if name == "id_document":
        customer.id_document_type, customer.id_document_number = value
    else:
        setattr(customer, name, value)


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
    return _checked({"first_name": "", "last_name": "", **new.values}, caller)


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
    await _refuse_taken_external_id(session, values.get("external_id"), None)
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
        "values": as_logged(values),
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
    """The fields to change (by the domain's names), checked and normalised."""
    return _checked(values, caller)


def changes_to(checked: Mapping[str, Any]) -> Act[Customer]:
    """The act of setting the checked fields on the locked customer; values equal to the
    current ones write nothing (no version bump, no event)."""

    async def act(session: AsyncSession, customer: Customer) -> Outcome[Customer]:
        if "external_id" in checked:
            await _refuse_taken_external_id(session, checked["external_id"], customer.id)
        changes = []
        for name, value in checked.items():
            old = _current(customer, name)
            if old != value:
                changes.append(change(EDITABLE_FIELDS[name].logged_as, _shown(old), _shown(value)))
                _assign(customer, name, value)
        if not changes:
            return unchanged(customer)
        refresh_search_text(customer)
        message = f"Updated {', '.join(c['field'] for c in changes)}"
        return changed(customer, "CUSTOMER_UPDATED", message, changes)

    return act


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
    action = CustomerAction(
        "customerUpdate",
        caller,
        customer_id,
        expected_version,
        idempotency_key,
        {"values": as_logged(checked)},
    )
    return await act_on_customer(sessions, action, changes_to(checked), of_row(Customer))
