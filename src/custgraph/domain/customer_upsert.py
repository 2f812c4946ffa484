"""Create or update a customer by the id a partner system gave it, never overwriting blindly."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from custgraph.db.models import Customer, CustomerChange
from custgraph.domain import profile
from custgraph.domain.caller import Caller
from custgraph.domain.customer_action import CustomerAction, act_on_locked_customer
from custgraph.domain.customer_lock import FINAL_STATUSES
from custgraph.domain.customer_record import (
    NewCustomer,
    as_logged,
    changes_to,
    checked_changes,
    checked_new_email,
    checked_new_values,
    open_record,
)
from custgraph.domain.errors import DomainError
from custgraph.domain.idempotency import Replay, of_row, once
from custgraph.domain.transaction import in_transaction
from custgraph.settings import Settings


@dataclass(frozen=True)
class Upserted:
    customer: Customer
    created: bool


class VersionConflict(DomainError):
    """CONFLICT, with what the caller needs to merge: the record's version now and the
    fields changed since the version it expected."""

    def __init__(self, customer_id: int, current_version: int, changed_fields: list[str]) -> None:
        super().__init__(
            "CONFLICT",
            f"The customer changed meanwhile (version {current_version}); "
            f"changed since: {', '.join(changed_fields) or 'nothing named'}. Merge and retry.",
            ["expectedVersion"],
        )
        self.customer_id = customer_id
        self.current_version = current_version
        self.changed_fields = changed_fields


async def changed_fields_since(session: AsyncSession, customer_id: int, version: int) -> list[str]:
    """The fields the change feed names for the customer's versions after `version`."""
    rows = await session.execute(
        select(CustomerChange.fields)
        .where(CustomerChange.customer_id == customer_id, CustomerChange.customer_version > version)
        .order_by(CustomerChange.sequence)
    )
    return list(dict.fromkeys(name for (fields,) in rows for name in fields or ()))


async def _customer_by_external_id(session: AsyncSession, external_id: str) -> Customer | None:
    found: Customer | None = await session.scalar(
        select(Customer).where(Customer.external_id == external_id).with_for_update()
    )
    return found


_ROW = of_row(Customer, "customer")


async def _upserted_again(session: AsyncSession, stored: dict[str, Any]) -> Upserted:
    return Upserted(await _ROW.replay(session, stored), stored["created"])


_KEPT = Replay[Upserted](
    lambda done: {"id": done.customer.id, "created": done.created}, _upserted_again
)


async def upsert_customer(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    caller: Caller,
    external_id: str,
    new: NewCustomer,
    *,
    expected_version: int | None = None,
    idempotency_key: str | None = None,
) -> Upserted:
    """Create the customer with this external id, or update the given fields of it.

    With `expected_version`, the record must exist and still have that version: a stale
    one is a VersionConflict naming the fields changed since, so the partner merges
    instead of overwriting. The email is set when the record is created; a different one
    later goes through `change_email` (verification), not here. Two partners creating the
    same external id at once make one record: the second finds it (the unique index, then
    a retry of the transaction) and updates it.
    """
    external = profile.text(external_id, ["externalId"], 64, required=True)
    assert external is not None
    email = checked_new_email(settings, new.email)
    given = dict(new.values)
    given.pop("external_id", None)
    request = {
        "external_id": external,
        "email": email,
        "values": as_logged(given),
        "tags": sorted(new.tags),
        "expected_version": expected_version,
    }

    async def work(session: AsyncSession) -> Upserted:
        existing = await _customer_by_external_id(session, external)
        if existing is None:
            if expected_version is not None:
                raise DomainError(
                    "NOT_FOUND",
                    "No customer has this external id; leave out expectedVersion to create it.",
                    ["expectedVersion"],
                )
            values = checked_new_values(
                caller, NewCustomer(email, {**given, "external_id": external}, [], False)
            )
            try:
                created = await open_record(session, settings, caller, email, values, new)
            except DomainError as error:
                if error.code != "TAKEN" or error.field != ["externalId"]:
                    raise
                # Another upsert made it since this one looked (READ COMMITTED: each
                # statement sees what committed before it): update that one instead.
                return await work(session)
            return Upserted(created, True)
        if existing.status in FINAL_STATUSES:
            raise DomainError(
                "NOT_ALLOWED",
                f"The customer is {existing.status} and cannot change.",
                ["externalId"],
            )
        if expected_version is not None and existing.version != expected_version:
            since = await changed_fields_since(session, existing.id, expected_version)
            raise VersionConflict(existing.id, existing.version, since)
        if email is not None and (existing.email or "").lower() != email.lower():
            raise DomainError(
                "NOT_ALLOWED",
                "The email of an existing customer changes with customerChangeEmail, which "
                "verifies the new address.",
                ["email"],
            )
        checked: Mapping[str, Any] = checked_changes(given, caller)
        # Found and locked by its external id, its version checked above.
        action = CustomerAction("customerUpsert", caller, existing.id, field="externalId")
        return Upserted(await act_on_locked_customer(session, action, changes_to(checked)), False)

    return await in_transaction(
        sessions, once(caller, "customerUpsert", idempotency_key, request, work, _KEPT)
    )
