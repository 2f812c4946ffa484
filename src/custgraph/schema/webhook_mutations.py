"""Mutations of webhook subscriptions and deliveries."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from custgraph.auth.permissions import Permission
from custgraph.resolvers import webhooks
from custgraph.schema.mutation_access import mutation
from custgraph.schema.webhooks import (
    WebhookDeliveryRetryInput,
    WebhookDeliveryRetryPayload,
    WebhookSubscriptionCreateInput,
    WebhookSubscriptionCreatePayload,
    WebhookSubscriptionDeleteInput,
    WebhookSubscriptionDeletePayload,
    WebhookSubscriptionUpdateInput,
    WebhookSubscriptionUpdatePayload,
)


@strawberry.type(description="Subscribing to webhooks and redelivering them.")
class WebhookMutations:
    @mutation(
        requires=Permission.WEBHOOKS_MANAGE,
        description="Subscribe a URL to changes to customers; its signing secret is shown once.",
    )
    async def webhook_subscription_create(
        self, info: Info, input: WebhookSubscriptionCreateInput
    ) -> WebhookSubscriptionCreatePayload:
        return await webhooks.resolve_webhook_subscription_create(info, input)

    @mutation(
        requires=Permission.WEBHOOKS_MANAGE,
        description="Change, pause, activate a webhook subscription or rotate its secret.",
    )
    async def webhook_subscription_update(
        self, info: Info, input: WebhookSubscriptionUpdateInput
    ) -> WebhookSubscriptionUpdatePayload:
        return await webhooks.resolve_webhook_subscription_update(info, input)

    @mutation(
        requires=Permission.WEBHOOKS_MANAGE,
        description="Delete a webhook subscription with its deliveries and log.",
    )
    async def webhook_subscription_delete(
        self, info: Info, input: WebhookSubscriptionDeleteInput
    ) -> WebhookSubscriptionDeletePayload:
        return await webhooks.resolve_webhook_subscription_delete(info, input)

    @mutation(
        requires=Permission.WEBHOOKS_MANAGE,
        description="Send a delivery's payload again, as a new attempt now.",
    )
    async def webhook_delivery_retry(
        self, info: Info, input: WebhookDeliveryRetryInput
    ) -> WebhookDeliveryRetryPayload:
        return await webhooks.resolve_webhook_delivery_retry(info, input)
