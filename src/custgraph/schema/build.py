"""Assemble the executable schema."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import ParserCache
from strawberry.types import ExecutionContext, ExecutionResult
from strawberry.types.execution import PreExecutionError
from strawberry.types.graphql import OperationType

from custgraph.fastpath.extension import CompiledReads
from custgraph.ratelimit.extension import CostAndRateLimit
from custgraph.schema.activity import CustomerEvent, Notification
from custgraph.schema.address import Address
from custgraph.schema.anonymous_gate import AnonymousGate
from custgraph.schema.error_masking import ContractErrors, cap_errors, contract_error
from custgraph.schema.giftcards import GiftCard
from custgraph.schema.introspection_gate import IntrospectionGate
from custgraph.schema.ledgers import CreditEntry, PointsEntry
from custgraph.schema.limits import QueryLimits, mark_token_limit
from custgraph.schema.loyalty import Membership
from custgraph.schema.mutation import Mutation
from custgraph.schema.notes import Note
from custgraph.schema.orders import Order
from custgraph.schema.query import Query
from custgraph.schema.repetition import RepetitionLimits
from custgraph.schema.staff import StaffUser
from custgraph.schema.staff_admin import ApiKey
from custgraph.schema.validation_cache import DocumentValidationCache

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

    async def execute(
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        root_value: Any | None = None,
        operation_name: str | None = None,
        allowed_operation_types: Iterable[OperationType] | None = None,
        operation_extensions: dict[str, Any] | None = None,
    ) -> ExecutionResult:
        result = await super().execute(
            query,
            variable_values,
            context_value,
            root_value,
            operation_name,
            allowed_operation_types,
            operation_extensions,
        )
        if isinstance(result, PreExecutionError) and result.errors:
            # An exception escaping an extension's hook ends the operation before
            # ContractErrors sees it: mask it here, or its text would reach the client.
            request_id = getattr(context_value, "request_id", None)
            result.errors = [contract_error(e, request_id) for e in result.errors]
        settings = getattr(context_value, "settings", None)
        if settings is not None:
            mark_token_limit(result, settings.max_tokens)
            cap_errors(result, settings.max_errors)
        return result


def build_schema() -> Schema:
    return Schema(
        query=Query,
        mutation=Mutation,
        types=NODE_TYPES,
        extensions=[
            ContractErrors,
            QueryLimits,
            AnonymousGate,
            IntrospectionGate,
            CostAndRateLimit,
            CompiledReads,
            lambda: ParserCache(maxsize=256),
            RepetitionLimits,  # ahead of validation, which it can spare
            lambda: DocumentValidationCache(maxsize=256),
        ],
    )
