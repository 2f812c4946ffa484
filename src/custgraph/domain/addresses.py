"""A customer's addresses and which of them are the defaults."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from custgraph.db.models import Address, Customer
from custgraph.domain import profile
from custgraph.domain.caller import Caller
from custgraph.domain.customer_action import (
    CustomerAction,
    Outcome,
    act_on_customer,
    act_on_locked_customer,
    changed,
    unchanged,
)
from custgraph.domain.errors import DomainError
from custgraph.domain.events import change
from custgraph.domain.idempotency import Replay, of_row, of_value, once
from custgraph.domain.transaction import in_transaction

MAX_ADDRESSES = 50
KINDS = {"BILLING": "is_default_billing", "SHIPPING": "is_default_shipping"}

T = TypeVar("T")


def checked_address(values: Mapping[str, Any], prefix: str = "address") -> dict[str, Any]:
    """The address fields (by the model's attribute names), trimmed and validated; errors
    name the fields as the API does."""

    def at(name: str) -> list[str]:
        return [prefix, name]

    return {
        "salutation": profile.text(values.get("salutation"), at("salutation"), 32),
        "first_name": profile.text(values.get("first_name"), at("firstName"), 100),
        "last_name": profile.text(values.get("last_name"), at("lastName"), 100),
        "company": profile.text(values.get("company"), at("company"), 200),
        "line1": profile.text(values.get("line1"), at("line1"), 200, required=True),
        "line2": profile.text(values.get("line2"), at("line2"), 200),
        "line3": profile.text(values.get("line3"), at("line3"), 200),
        "postal_code": profile.text(values.get("postal_code"), at("postalCode"), 20),
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


AddressAct = Callable[[AsyncSession, Customer, Address], Awaitable[Outcome[T]]]


async def _act_on_address(
    sessions: async_sessionmaker[AsyncSession],
    caller: Caller,
    operation: str,
    address_id: int,
    expected_version: int | None,
    idempotency_key: str | None,
    request: dict[str, Any],
    act: AddressAct[T],
    kept: Replay[T],
) -> T:
    """`act` on the address and its customer, the customer locked as every action does.

    The idempotency key stays around the whole transaction with the request it was
    always stored with (the address, not the customer, is what the caller names), so
    keys stored before still replay; a customer fingerprint would not match them.
    """

    async def work(session: AsyncSession) -> T:
        address = await session.get(Address, address_id)
        if address is None:
            raise DomainError("NOT_FOUND", "Address not found.", ["addressId"])
        action = CustomerAction(
            operation, caller, address.customer_id, expected_version, field="addressId"
        )

        async def on_customer(session: AsyncSession, customer: Customer) -> Outcome[T]:
            return await act(session, customer, address)

        return await act_on_locked_customer(session, action, on_customer)

    return await in_transaction(
        sessions, once(caller, operation, idempotency_key, request, work, kept)
    )


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

    async def act(session: AsyncSession, customer: Customer) -> Outcome[Address]:
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
        return changed(address, "ADDRESS_ADDED", f"Address added: {_summary(address)}")

    action = CustomerAction(
        "customerAddressCreate",
        caller,
        customer_id,
        expected_version,
        idempotency_key,
        {"address": fields},
    )
    return await act_on_customer(sessions, action, act, of_row(Address))


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

    async def act(_session: AsyncSession, customer: Customer, address: Address) -> Outcome[Address]:
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
        if not changes:
            return unchanged(address)
        address.updated_at = datetime.now(UTC)
        return changed(address, "ADDRESS_UPDATED", f"Address updated: {_summary(address)}", changes)

    return await _act_on_address(
        sessions,
        caller,
        "customerAddressUpdate",
        address_id,
        expected_version,
        idempotency_key,
        request,
        act,
        of_row(Address),
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

    async def act(session: AsyncSession, customer: Customer, address: Address) -> Outcome[int]:
        _refuse_locked(customer, rules.locked_discount_groups)
        held = [k for k, attribute in KINDS.items() if getattr(address, attribute)]
        await session.delete(address)
        await session.flush()
        remaining = await _addresses(session, customer.id)
        if remaining:
            for kind in held:
                setattr(remaining[0], KINDS[kind], True)
        return changed(customer.id, "ADDRESS_DELETED", f"Address deleted: {_summary(address)}")

    return await _act_on_address(
        sessions,
        caller,
        "customerAddressDelete",
        address_id,
        expected_version,
        idempotency_key,
        request,
        act,
        of_value(),
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

    async def act(session: AsyncSession, customer: Customer, address: Address) -> Outcome[Address]:
        if getattr(address, attribute):
            return unchanged(address)
        for other in await _addresses(session, customer.id):
            if getattr(other, attribute):
                setattr(other, attribute, False)
        # The partial unique index allows one default per kind: clear before setting.
        await session.flush()
        setattr(address, attribute, True)
        return changed(
            address, "DEFAULT_ADDRESS_SET", f"Default {kind.lower()} address: {_summary(address)}"
        )

    return await _act_on_address(
        sessions,
        caller,
        "customerAddressSetDefault",
        address_id,
        expected_version,
        idempotency_key,
        request,
        act,
        of_row(Address),
    )
