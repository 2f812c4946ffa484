"""Assemble the executable schema."""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import ParserCache, ValidationCache
from strawberry.types import ExecutionContext

from custgraph.schema.activity import CustomerEvent, Notification
from custgraph.schema.address import Address
from custgraph.schema.anonymous_gate import AnonymousGate
from custgraph.schema.error_masking import ContractErrors
from custgraph.schema.giftcards import GiftCard
from custgraph.schema.ledgers import CreditEntry, PointsEntry
from custgraph.schema.loyalty import Membership
from custgraph.schema.mutation import Mutation
from custgraph.schema.notes import Note
from custgraph.schema.orders import Order
from custgraph.schema.query import Query
from custgraph.schema.staff import StaffUser
from custgraph.schema.staff_admin import ApiKey

# Types reachable only through `node`; listed so the schema knows them.
NODE_TYPES: list[Any] = [
    Address,
    Order,
    PointsEntry,
    CreditEntry,
    GiftCard,
    Note,
    CustomerEvent,
    Notification,
    Membership,
    StaffUser,
    ApiKey,
]


class Schema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # ContractErrors logs what deserves logging; client mistakes are not server errors.
        return None


def build_schema() -> Schema:
    return Schema(
        query=Query,
        mutation=Mutation,
        types=NODE_TYPES,
        extensions=[
            ContractErrors,
            AnonymousGate,
            lambda: ParserCache(maxsize=256),
            lambda: ValidationCache(maxsize=256),
        ],
    )
