"""Commercial terms of a customer: sales rep, price list and tags.

A change that would leave the customer exactly as it is (the same sales rep, a tag it
already has, removing a tag it does not have) is not a write: it answers without error
but neither bumps `version` nor logs an event, so retries and bulk tools that apply a
state repeatedly do not flood the activity log or invalidate other editors'
`expectedVersion`. The `expectedVersion` check still applies to it.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from custgraph.db.models import Customer, StaffUser
from custgraph.domain.caller import Caller
from custgraph.domain.customer_action import (
    CustomerAction,
    Outcome,
    act_on_customer,
    changed,
    unchanged,
)
from custgraph.domain.errors import DomainError
from custgraph.domain.events import change

MAX_TAG_LENGTH = 40
MAX_TAGS = 50
MAX_PRICE_LIST_LENGTH = 64
# The event message column holds 500 characters; lists of tags are cut to fit.
MAX_MESSAGE_LENGTH = 500


async def assign_sales_rep(
    sessions: async_sessionmaker[AsyncSession],
    caller: Caller,
    customer_id: int,
    sales_rep_id: int | None,
    *,
    expected_version: int | None = None,
) -> int:
    """Make an active staff user the customer's sales rep, or unassign with None.

    NOT_FOUND when the staff user does not exist, INVALID when it is deactivated (both
    on `salesRepId`). Returns the customer's id.
    """

    async def act(session: AsyncSession, customer: Customer) -> Outcome[int]:
        rep = await active_staff_user(session, sales_rep_id)
        if customer.sales_rep_id == sales_rep_id:
            return unchanged(customer.id)
        old = customer.sales_rep_id
        customer.sales_rep_id = sales_rep_id
        message = "Sales rep unassigned" if rep is None else f"Sales rep {_label(rep)} assigned"
        # Staff users by database id, as the seeded log records them.
        return changed(
            customer.id, "SALES_REP_ASSIGNED", message, [change("salesRep", old, sales_rep_id)]
        )

    action = CustomerAction("customerAssignSalesRep", caller, customer_id, expected_version)
    return await act_on_customer(sessions, action, act)


async def active_staff_user(session: AsyncSession, staff_user_id: int | None) -> StaffUser | None:
    if staff_user_id is None:
        return None
    user = await session.get(StaffUser, staff_user_id)
    if user is None:
        raise DomainError("NOT_FOUND", "No such staff user.", ["salesRepId"])
    if not user.is_active:
        raise DomainError(
            "INVALID", "This staff user is deactivated and cannot be a sales rep.", ["salesRepId"]
        )
    return user


def _label(user: StaffUser) -> str:
    return f"{user.first_name} {user.last_name}".strip() or user.email


async def assign_price_list(
    sessions: async_sessionmaker[AsyncSession],
    caller: Caller,
    customer_id: int,
    price_list: str | None,
    *,
    expected_version: int | None = None,
) -> int:
    """Apply a price list to the customer (trimmed, 1 to 64 characters), or clear it with None.

    A blank name is INVALID rather than a silent clear: clearing is asked for with null.
    Returns the customer's id.
    """
    name = checked_price_list(price_list)

    async def act(_session: AsyncSession, customer: Customer) -> Outcome[int]:
        if customer.price_list == name:
            return unchanged(customer.id)
        old = customer.price_list
        customer.price_list = name
        message = "Price list cleared" if name is None else f"Price list {name} assigned"
        return changed(
            customer.id, "PRICE_LIST_ASSIGNED", message, [change("priceList", old, name)]
        )

    action = CustomerAction("customerAssignPriceList", caller, customer_id, expected_version)
    return await act_on_customer(sessions, action, act)


def checked_price_list(price_list: str | None) -> str | None:
    if price_list is None:
        return None
    name = price_list.strip()
    if not name:
        raise DomainError("INVALID", "Name a price list, or send null to clear it.", ["priceList"])
    if len(name) > MAX_PRICE_LIST_LENGTH:
        raise DomainError(
            "TOO_LONG",
            f"Price list names have at most {MAX_PRICE_LIST_LENGTH} characters.",
            ["priceList"],
        )
    return name


def checked_tags(tags: Sequence[str]) -> list[str]:
    """The tags trimmed, each 1 to 40 characters, without case-insensitive repeats
    (the first spelling wins)."""
    result: list[str] = []
    seen: set[str] = set()
    for index, raw in enumerate(tags):
        tag = raw.strip()
        if not tag:
            raise DomainError("INVALID", "A tag cannot be blank.", ["tags", str(index)])
        if len(tag) > MAX_TAG_LENGTH:
            raise DomainError(
                "TOO_LONG", f"Tags have at most {MAX_TAG_LENGTH} characters.", ["tags", str(index)]
            )
        if tag.casefold() not in seen:
            seen.add(tag.casefold())
            result.append(tag)
    return result


async def add_tags(
    sessions: async_sessionmaker[AsyncSession],
    caller: Caller,
    customer_id: int,
    tags: Sequence[str],
    *,
    expected_version: int | None = None,
) -> int:
    """Add tags the customer does not have yet, compared case-insensitively.

    A tag the customer already has under another spelling keeps its stored spelling.
    INVALID on `tags` when the customer would hold more than 50. Returns the customer's id.
    """
    wanted = checked_tags(tags)

    async def act(_session: AsyncSession, customer: Customer) -> Outcome[int]:
        old = list(customer.tags or [])
        held = {tag.casefold() for tag in old}
        added = [tag for tag in wanted if tag.casefold() not in held]
        if not added:
            return unchanged(customer.id)
        new = old + added
        if len(new) > MAX_TAGS:
            raise DomainError(
                "INVALID",
                f"A customer has at most {MAX_TAGS} tags; this would make {len(new)}.",
                ["tags"],
            )
        # A new list, not an in-place append: the JSON column only notices assignment.
        customer.tags = new
        return _tags_changed(customer.id, "TAGS_ADDED", "Tags added", added, old, new)

    action = CustomerAction("customerTagsAdd", caller, customer_id, expected_version)
    return await act_on_customer(sessions, action, act)


async def remove_tags(
    sessions: async_sessionmaker[AsyncSession],
    caller: Caller,
    customer_id: int,
    tags: Sequence[str],
    *,
    expected_version: int | None = None,
) -> int:
    """Remove tags, compared case-insensitively; a tag the customer does not have is
    skipped, not an error. Returns the customer's id."""
    unwanted = {tag.casefold() for tag in checked_tags(tags)}

    async def act(_session: AsyncSession, customer: Customer) -> Outcome[int]:
        old = list(customer.tags or [])
        new = [tag for tag in old if tag.casefold() not in unwanted]
        if new == old:
            return unchanged(customer.id)
        removed = [tag for tag in old if tag.casefold() in unwanted]
        customer.tags = new
        return _tags_changed(customer.id, "TAGS_REMOVED", "Tags removed", removed, old, new)

    action = CustomerAction("customerTagsRemove", caller, customer_id, expected_version)
    return await act_on_customer(sessions, action, act)


def _tags_changed(
    customer_id: int, type: str, title: str, tags: list[str], old: list[str], new: list[str]
) -> Outcome[int]:
    message = textwrap.shorten(f"{title}: {', '.join(tags)}", MAX_MESSAGE_LENGTH, placeholder=" …")
    # JSON arrays: unambiguous even for tags that contain commas.
    return changed(customer_id, type, message, [change("tags", _as_text(old), _as_text(new))])


def _as_text(tags: list[str]) -> str:
    return json.dumps(tags, ensure_ascii=False)
