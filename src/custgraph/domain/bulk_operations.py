"""The admin actions a bulk job can apply to each customer of a selection.

Each entry calls the very domain function of the single mutation, with its rules,
permission, event and transaction; the bulk layer adds only the selection, the outcome
per customer and the job around them. Arguments are checked once, when the job is asked
for, so that a bad value is one refusal rather than one per customer.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from custgraph.auth.permissions import Permission
from custgraph.domain import account_access, commercial, lifecycle
from custgraph.domain.caller import Caller
from custgraph.domain.errors import DomainError
from custgraph.settings import Settings

Sessions = async_sessionmaker[AsyncSession]
Apply = Callable[[Sessions, Settings, Caller, int, dict[str, Any]], Awaitable[object]]
Check = Callable[[AsyncSession, dict[str, Any]], Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class BulkOperation:
    name: str
    permission: Permission
    check: Check  # the arguments as the job stores them, or a DomainError
    apply: Apply


async def _status(session: AsyncSession, arguments: dict[str, Any]) -> dict[str, Any]:
    status = arguments["status"]
    if status in ("MERGED", "ERASED"):
        raise DomainError(
            "INVALID_TRANSITION",
            f"{status} is set by merging or erasing a customer, not by a status change.",
            ["status"],
        )
    return {"status": status, "reason": lifecycle.checked_reason(arguments.get("reason"))}


async def _tags(session: AsyncSession, arguments: dict[str, Any]) -> dict[str, Any]:
    tags = commercial.checked_tags(arguments["tags"])
    if not tags:
        raise DomainError("REQUIRED", "Name at least one tag.", ["tags"])
    return {"tags": tags}


async def _sales_rep(session: AsyncSession, arguments: dict[str, Any]) -> dict[str, Any]:
    rep = await commercial.active_staff_user(session, arguments["sales_rep_id"])
    return {"sales_rep_id": rep.id if rep is not None else None}


async def _price_list(session: AsyncSession, arguments: dict[str, Any]) -> dict[str, Any]:
    return {"price_list": commercial.checked_price_list(arguments["price_list"])}


async def _nothing(session: AsyncSession, arguments: dict[str, Any]) -> dict[str, Any]:
    return {}


OPERATIONS: dict[str, BulkOperation] = {
    op.name: op
    for op in (
        BulkOperation(
            "SET_STATUS",
            Permission.CUSTOMERS_WRITE,
            _status,
            lambda sessions, settings, caller, customer_id, a: lifecycle.set_status(
                sessions, caller, customer_id, a["status"], reason=a["reason"]
            ),
        ),
        BulkOperation(
            "TAGS_ADD",
            Permission.CUSTOMERS_WRITE,
            _tags,
            lambda sessions, settings, caller, customer_id, a: commercial.add_tags(
                sessions, caller, customer_id, a["tags"]
            ),
        ),
        BulkOperation(
            "TAGS_REMOVE",
            Permission.CUSTOMERS_WRITE,
            _tags,
            lambda sessions, settings, caller, customer_id, a: commercial.remove_tags(
                sessions, caller, customer_id, a["tags"]
            ),
        ),
        BulkOperation(
            "ASSIGN_SALES_REP",
            Permission.CUSTOMERS_ADMIN,
            _sales_rep,
            lambda sessions, settings, caller, customer_id, a: commercial.assign_sales_rep(
                sessions, caller, customer_id, a["sales_rep_id"]
            ),
        ),
        BulkOperation(
            "ASSIGN_PRICE_LIST",
            Permission.CUSTOMERS_ADMIN,
            _price_list,
            lambda sessions, settings, caller, customer_id, a: commercial.assign_price_list(
                sessions, caller, customer_id, a["price_list"]
            ),
        ),
        BulkOperation(
            "DELETE",
            Permission.CUSTOMERS_DELETE,
            _nothing,
            lambda sessions, settings, caller, customer_id, a: lifecycle.delete_customer(
                sessions, caller, customer_id
            ),
        ),
        BulkOperation(
            "SEND_PASSWORD_RESET",
            Permission.CUSTOMERS_WRITE,
            _nothing,
            lambda sessions, settings, caller, customer_id, a: (
                account_access.send_password_reset_link(sessions, settings, caller, customer_id)
            ),
        ),
    )
}
