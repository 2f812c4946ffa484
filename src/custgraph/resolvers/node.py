"""`node` and `nodes`: any object by its global id, with the same access rules."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select
from strawberry.types import Info

from custgraph.api_errors import bad_request, not_found
from custgraph.auth.permissions import Permission
from custgraph.db import models
from custgraph.global_id import decode_global_id
from custgraph.loaders.registry import STAFF_PUBLIC_COLUMNS
from custgraph.resolvers.access import require, require_on_customer
from custgraph.schema.activity import CustomerEvent, Notification
from custgraph.schema.address import Address
from custgraph.schema.customer import Customer
from custgraph.schema.giftcards import GiftCard
from custgraph.schema.ledgers import CreditEntry, PointsEntry
from custgraph.schema.loyalty import Membership
from custgraph.schema.node import Node
from custgraph.schema.notes import Note
from custgraph.schema.orders import Order
from custgraph.schema.staff import StaffUser

MAX_NODES = 100
P = Permission


@dataclass(frozen=True)
class NodeKind:
    statement: Select[Any]
    permission: Permission
    build: Callable[[Any, str], Node]
    owned_by_customer: bool = True


NODE_KINDS: dict[str, NodeKind] = {
    "Customer": NodeKind(select(models.Customer), P.CUSTOMERS_READ, Customer.from_row),
    "Address": NodeKind(select(models.Address), P.CUSTOMERS_READ, lambda r, _: Address.from_row(r)),
    "Order": NodeKind(select(models.Order), P.ORDERS_READ, lambda r, _: Order.from_row(r)),
    "PointsEntry": NodeKind(
        select(models.PointsEntry), P.LOYALTY_READ, lambda r, _: PointsEntry.from_row(r)
    ),
    "CreditEntry": NodeKind(
        select(models.CreditEntry), P.CREDIT_READ, lambda r, _: CreditEntry.from_row(r)
    ),
    "GiftCard": NodeKind(
        select(models.GiftCard), P.GIFTCARDS_READ, lambda r, _: GiftCard.from_row(r)
    ),
    "Note": NodeKind(select(models.Note), P.NOTES_READ, lambda r, _: Note.from_row(r)),
    "CustomerEvent": NodeKind(
        select(models.CustomerEvent), P.AUDIT_READ, lambda r, _: CustomerEvent.from_row(r)
    ),
    "Notification": NodeKind(
        select(models.Notification), P.AUDIT_READ, lambda r, _: Notification.from_row(r)
    ),
    "Membership": NodeKind(
        select(models.Membership), P.LOYALTY_READ, lambda r, _: Membership.from_row(r)
    ),
    "StaffUser": NodeKind(
        select(*STAFF_PUBLIC_COLUMNS),
        P.CUSTOMERS_READ,
        lambda r, _: StaffUser.from_row(r),
        owned_by_customer=False,
    ),
}


async def resolve_node(info: Info, id: str) -> Node | None:
    type_name, db_id = decode_global_id(id)
    kind = NODE_KINDS.get(type_name)
    if kind is None:
        raise bad_request(f"'{id[:64]}' is not the id of an object that can be fetched.")
    if not kind.owned_by_customer:
        require(info, kind.permission)
    row = await info.context.loaders.node_row(type_name, kind.statement).load(db_id)
    if kind.owned_by_customer:
        owner = db_id if type_name == "Customer" else (row.customer_id if row else None)
        # Decide access before telling whether the row exists, so that a customer
        # probing ids gets the same NOT_FOUND for others' records and missing ones.
        require_on_customer(info, kind.permission, owner if owner is not None else -1, type_name)
    if row is None:
        raise not_found(f"{type_name} not found.")
    return kind.build(row, info.context.settings.currency)


def resolve_nodes(info: Info, ids: list[str]) -> list[Awaitable[Node | None]]:
    if len(ids) > MAX_NODES:
        raise bad_request(f"`ids` takes at most {MAX_NODES} ids; {len(ids)} were given.")
    # One awaitable per id: GraphQL nulls and reports each failing item on its own path,
    # and the loaders batch the rest into one statement per type.
    return [resolve_node(info, global_id) for global_id in ids]
