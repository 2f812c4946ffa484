"""Webhook subscriptions: listing, subscribing, changing, deleting, redelivering
(`webhooks:manage`; an API key sees and manages only its own)."""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import Table, select
from strawberry.types import Info

from custgraph.auth.permissions import Permission
from custgraph.db.models import ApiKey, StaffUser, WebhookSubscription
from custgraph.db.models import WebhookDelivery as DeliveryRow
from custgraph.db.models import WebhookLogEntry as LogRow
from custgraph.domain import webhooks as domain
from custgraph.global_id import decode_id_of
from custgraph.resolvers.access import require
from custgraph.resolvers.outcome import attempt
from custgraph.schema import webhooks as schema

NodeT = TypeVar("NodeT")

_SUBSCRIPTIONS = (
    select(
        WebhookSubscription.__table__,
        ApiKey.name.label("api_key_name"),
        StaffUser.first_name.label("staff_first_name"),
        StaffUser.last_name.label("staff_last_name"),
        StaffUser.email.label("staff_email"),
    )
    .outerjoin(ApiKey, ApiKey.id == WebhookSubscription.owner_api_key_id)
    .outerjoin(StaffUser, StaffUser.id == WebhookSubscription.owner_staff_id)
    .order_by(WebhookSubscription.id)
)
_DELIVERIES: Table = DeliveryRow.__table__  # type: ignore[assignment]
_LOG: Table = LogRow.__table__  # type: ignore[assignment]


def _owner(info: Info) -> domain.WebhookOwner:
    # Only staff users and API keys can hold the permission (customers never do).
    return domain.WebhookOwner.of(require(info, Permission.WEBHOOKS_MANAGE))


async def resolve_webhook_subscriptions(info: Info) -> list[schema.WebhookSubscription]:
    owner = _owner(info)
    rows = await info.context.reader.all(_SUBSCRIPTIONS.where(owner.scope()))
    return [schema.WebhookSubscription.from_row(r) for r in rows]


async def _fresh_subscription(info: Info, subscription_id: int) -> schema.WebhookSubscription:
    """The subscription as committed now, for a mutation's payload."""
    await info.context.reader.new_snapshot()
    [row] = await info.context.reader.all(
        _SUBSCRIPTIONS.where(WebhookSubscription.id == subscription_id)
    )
    return schema.WebhookSubscription.from_row(row)


async def resolve_webhook_subscription_create(
    info: Info, input: schema.WebhookSubscriptionCreateInput
) -> schema.WebhookSubscriptionCreatePayload:
    owner = _owner(info)
    settings = info.context.settings
    created, errors = await attempt(
        domain.create_subscription(
            info.context.session_factory,
            owner,
            url=input.url,
            event_types=input.event_types,
            is_active=input.is_active,
            secret_key=settings.secret_key.get_secret_value(),
            allow_private_targets=settings.webhook_allow_private_targets,
        )
    )
    if created is None:
        return schema.WebhookSubscriptionCreatePayload(
            webhook_subscription=None, secret=None, user_errors=errors
        )
    return schema.WebhookSubscriptionCreatePayload(
        webhook_subscription=await _fresh_subscription(info, created.subscription.id),
        secret=created.secret,
        user_errors=[],
    )


async def resolve_webhook_subscription_update(
    info: Info, input: schema.WebhookSubscriptionUpdateInput
) -> schema.WebhookSubscriptionUpdatePayload:
    owner = _owner(info)
    subscription_id = decode_id_of("WebhookSubscription", input.subscription_id, "subscriptionId")
    settings = info.context.settings
    updated, errors = await attempt(
        domain.update_subscription(
            info.context.session_factory,
            owner,
            subscription_id,
            domain.SubscriptionChanges(
                url=input.url,
                event_types=input.event_types,
                is_active=input.is_active,
                rotate_secret=input.rotate_secret,
            ),
            secret_key=settings.secret_key.get_secret_value(),
            allow_private_targets=settings.webhook_allow_private_targets,
        )
    )
    if updated is None:
        return schema.WebhookSubscriptionUpdatePayload(
            webhook_subscription=None, secret=None, user_errors=errors
        )
    return schema.WebhookSubscriptionUpdatePayload(
        webhook_subscription=await _fresh_subscription(info, subscription_id),
        secret=updated.secret,
        user_errors=[],
    )


async def resolve_webhook_subscription_delete(
    info: Info, input: schema.WebhookSubscriptionDeleteInput
) -> schema.WebhookSubscriptionDeletePayload:
    owner = _owner(info)
    subscription_id = decode_id_of("WebhookSubscription", input.subscription_id, "subscriptionId")
    deleted, errors = await attempt(
        domain.delete_subscription(info.context.session_factory, owner, subscription_id)
    )
    return schema.WebhookSubscriptionDeletePayload(
        deleted_subscription_id=input.subscription_id if deleted else None, user_errors=errors
    )


async def resolve_webhook_delivery_retry(
    info: Info, input: schema.WebhookDeliveryRetryInput
) -> schema.WebhookDeliveryRetryPayload:
    owner = _owner(info)
    delivery_id = decode_id_of("WebhookDelivery", input.delivery_id, "deliveryId")
    delivery, errors = await attempt(
        domain.retry_delivery(info.context.session_factory, owner, delivery_id)
    )
    return schema.WebhookDeliveryRetryPayload(
        delivery=schema.WebhookDelivery.from_row(delivery) if delivery else None,
        user_errors=errors,
    )
