"""A customer's addresses and which of them are the defaults."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from custgraph.db.models import Address, Customer
from custgraph.domain import profile
from custgraph.domain.caller import Caller
from custgraph.domain.customer_lock import lock_customer, mark_changed
from custgraph.domain.errors import DomainError
from custgraph.domain.events import change, record_event
from custgraph.domain.idempotency import of_row, of_value, once
from custgraph.domain.transaction import in_transaction

MAX_ADDRESSES = 50
KINDS = {"BILLING": "is_default_billing", "SHIPPING": "is_default_shipping"}


def checked_address(values: Mapping[str, Any], prefix: str = "address") -> dict[str, Any]:
    """The address fields, trimmed and validated; keys are the model's attributes."""

    def at(name: str) -> list[str]:
        return [prefix, name]

    return {
        "salutation": profile.text(values.get("salutation"), at("salutation"), 32),
        "first_name": profile.text(values.get("firstName"), at("firstName"), 100),
        "last_name": profile.text(values.get("lastName"), at("lastName"), 100),
        "company": profile.text(values.get("company"), at("company"), 200),
        "line1": profile.text(values.get("line1"), at("line1"), 200, required=True),
        "line2": profile.text(values.get("line2"), at("line2"), 200),
        "line3": profile.text(values.get("line3"), at("line3"), 200),
        "postal_code": profile.text(values.get("postalCode"), at("postalCode"), 20),
        "city": profile.text(values.get("city"), at("city"), 100, required=True),
        "region": profile.text(values.get("region"), at("region"), 100),
        "country": profile.country(values.get("country"), at("country")),
        "phone": profile.phone(values.get("phone"), at("phone")),
    }


def _refuse_locked(customer: Customer, locked_groups: frozenset[str]) -> None:
    if customer.discount_group in locked_groups:
        raise DomainError(
            "NOT_ALLOWED",
            f"Addresses of customers in discount group {customer.discount_group} are kept "
            "by contract and cannot be changed here.",
            ["customerId"],
        )


async def _address_of(
    session: AsyncSession, caller: Caller, address_id: int, expected_version: int | None
) -> tuple[Address, Customer]:
    address = await session.get(Address, address_id)
    if address is None:
        raise DomainError("NOT_FOUND", "Address not found.", ["addressId"])
    customer = await lock_customer(
        session, address.customer_id, expected_version, caller=caller, field="addressId"
    )
    return address, customer


async def _addresses(session: AsyncSession, customer_id: int) -> list[Address]:
    rows = await session.scalars(
        select(Address).where(Address.customer_id == customer_id).order_by(Address.id)
    )
    return list(rows)


def _summary(address: Address) -> str:
    return f"{address.line1}, {address.postal_code or ''} {address.city}, {address.country}"


@dataclass(frozen=True)
class AddressRules:
    locked_discount_groups: frozenset[str]


async def add_address(
    sessions: async_sessionmaker[AsyncSession],
    caller: Caller,
    rules: AddressRules,
    customer_id: int,
    values: Mapping[str, Any],
    expected_version: int | None = None,
    idempotency_key: str | None = None,
) -> Address:
    """Add an address; a customer's first address becomes both default addresses."""
    fields = checked_address(values)
    request = {"customer_id": customer_id, "address": fields, "expected_version": expected_version}

    async def work(session: AsyncSession) -> Address:
        customer = await lock_customer(session, customer_id, expected_version, caller=caller)
        _refuse_locked(customer, rules.locked_discount_groups)
        existing = await _addresses(session, customer.id)
        if len(existing) >= MAX_ADDRESSES:
            raise DomainError(
                "NOT_ALLOWED", f"A customer has at most {MAX_ADDRESSES} addresses.", ["address"]
            )
        first = not existing
        address = Address(
            customer_id=customer.id, is_default_billing=first, is_default_shipping=first, **fields
        )
        session.add(address)
        await session.flush()
        mark_changed(customer)
        record_event(
            session,
            customer.id,
            "ADDRESS_ADDED",
            caller.actor,
            f"Address added: {_summary(address)}",
            request_id=caller.request_id,
        )
        return address

    return await in_transaction(
        sessions,
        once(caller, "customerAddressCreate", idempotency_key, request, work, of_row(Address)),
    )


async def update_address(
    sessions: async_sessionmaker[AsyncSession],
    caller: Caller,
    rules: AddressRules,
    address_id: int,
    values: Mapping[str, Any],
    expected_version: int | None = None,
    idempotency_key: str | None = None,
) -> Address:
    """Replace an address's fields with the given ones; the log keeps each change."""
    fields = checked_address(values)
    request = {"address_id": address_id, "address": fields, "expected_version": expected_version}

    async def work(session: AsyncSession) -> Address:
        address, customer = await _address_of(session, caller, address_id, expected_version)
        _refuse_locked(customer, rules.locked_discount_groups)
        changes = []
        for attribute, value in fields.items():
            old = getattr(address, attribute)
            if old != value:
                name = "address." + "".join(
                    part if i == 0 else part.title() for i, part in enumerate(attribute.split("_"))
                )
                changes.append(change(name, old, value))
                setattr(address, attribute, value)
        if changes:
            address.updated_at = datetime.now(UTC)
            mark_changed(customer)
            record_event(
                session,
                customer.id,
                "ADDRESS_UPDATED",
                caller.actor,
                f"Address updated: {_summary(address)}",
                changes,
                caller.request_id,
            )
        return address

    return await in_transaction(
        sessions,
        once(caller, "customerAddressUpdate", idempotency_key, request, work, of_row(Address)),
    )


async def delete_address(
    sessions: async_sessionmaker[AsyncSession],
    caller: Caller,
    rules: AddressRules,
    address_id: int,
    expected_version: int | None = None,
    idempotency_key: str | None = None,
) -> int:
    """Delete an address; a default it held passes to the oldest remaining address.
    Returns the customer's id."""
    request = {"address_id": address_id, "expected_version": expected_version}

    async def work(session: AsyncSession) -> int:
        address, customer = await _address_of(session, caller, address_id, expected_version)
        _refuse_locked(customer, rules.locked_discount_groups)
        held = [k for k, attribute in KINDS.items() if getattr(address, attribute)]
        await session.delete(address)
        await session.flush()
        remaining = await _addresses(session, customer.id)
        if remaining:
            for kind in held:
                setattr(remaining[0], KINDS[kind], True)
        mark_changed(customer)
        record_event(
            session,
            customer.id,
            "ADDRESS_DELETED",
            caller.actor,
            f"Address deleted: {_summary(address)}",
            request_id=caller.request_id,
        )
        return customer.id

    return await in_transaction(
        sessions, once(caller, "customerAddressDelete", idempotency_key, request, work, of_value())
    )


async def set_default_address(
    sessions: async_sessionmaker[AsyncSession],
    caller: Caller,
    address_id: int,
    kind: str,
    expected_version: int | None = None,
    idempotency_key: str | None = None,
) -> Address:
    """Make an address the default billing or shipping address."""
    if kind not in KINDS:
        raise DomainError("INVALID", "The kind is BILLING or SHIPPING.", ["kind"])
    attribute = KINDS[kind]
    request = {"address_id": address_id, "kind": kind, "expected_version": expected_version}

    async def work(session: AsyncSession) -> Address:
        address, customer = await _address_of(session, caller, address_id, expected_version)
        if getattr(address, attribute):
            return address
        for other in await _addresses(session, customer.id):
            if getattr(other, attribute):
                setattr(other, attribute, False)
        # The partial unique index allows one default per kind: clear before setting.
        await session.flush()
        setattr(address, attribute, True)
        mark_changed(customer)
        record_event(
            session,
            customer.id,
            "DEFAULT_ADDRESS_SET",
            caller.actor,
            f"Default {kind.lower()} address: {_summary(address)}",
            request_id=caller.request_id,
        )
        return address

    return await in_transaction(
        sessions,
        once(caller, "customerAddressSetDefault", idempotency_key, request, work, of_row(Address)),
    )
