"""Root query fields of single areas, joined into the Query type by schema/query.py."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from custgraph.auth.permissions import Permission
from custgraph.resolvers import bulk, commercial, lifecycle, webhooks
from custgraph.resolvers.changes import resolve_customer_changes
from custgraph.schema.bulk_jobs import BulkJob
from custgraph.schema.changes import CustomerChange
from custgraph.schema.commercial_inputs import CustomFieldDefinition
from custgraph.schema.lifecycle_inputs import (
    CustomerMergeInput,
    CustomerMergePreview,
)
from custgraph.schema.mutation_access import root_read
from custgraph.schema.pagination import Connection
from custgraph.schema.webhooks import WebhookSubscription


@strawberry.type(description="Reading the custom field definitions.")
class CustomFieldQuery:
    @root_read(
        requires=Permission.CUSTOMERS_READ,
        description="Custom field definitions by key. {requires}.",
    )
    async def custom_field_definitions(self, info: Info) -> list[CustomFieldDefinition]:
        return await commercial.resolve_custom_field_definitions(info)


@strawberry.type(description="Previewing a merge.")
class MergePreviewQuery:
    @root_read(
        requires=Permission.CUSTOMERS_MERGE,
        description="What `customerMerge` would do with this input, and what would refuse it. "
        "{requires}.",
    )
    async def customer_merge_preview(
        self, info: Info, input: CustomerMergeInput
    ) -> CustomerMergePreview:
        return await lifecycle.resolve_customer_merge_preview(info, input)


@strawberry.type(description="Reading webhook subscriptions.")
class WebhookQuery:
    @root_read(
        requires=Permission.WEBHOOKS_MANAGE,
        description="Webhook subscriptions with their deliveries and logs: all of them for "
        "staff, its own for an API key. {requires}.",
    )
    async def webhook_subscriptions(self, info: Info) -> list[WebhookSubscription]:
        return await webhooks.resolve_webhook_subscriptions(info)


@strawberry.type
class ChangeFeedQuery:
    @root_read(
        requires=Permission.CUSTOMERS_READ,
        description="Every change to customers after `after` (a sequence number), oldest "
        "first: a partner that stores the last `sequence` it handled catches up exactly "
        "once, in order. {requires}.",
    )
    async def customer_changes(
        self,
        info: Info,
        first: Annotated[
            int | None, strawberry.argument(description="Page size: 20 by default, at most 100.")
        ] = None,
        after: Annotated[
            str | None,
            strawberry.argument(description="The last sequence handled; none for the start."),
        ] = None,
    ) -> Connection[CustomerChange]:
        return await resolve_customer_changes(info, first, after)


@strawberry.type
class BulkJobQuery:
    # Besides `customers:read`, the job's own permissions, checked by the resolver.
    @root_read(
        requires=Permission.CUSTOMERS_READ,
        description="A bulk action or export by id; null unless the caller holds every "
        "permission the job needed (the action's, or its columns').",
    )
    async def bulk_job(self, info: Info, id: strawberry.ID) -> BulkJob | None:
        return await bulk.resolve_bulk_job(info, id)
