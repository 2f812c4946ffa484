"""Webhook subscriptions: listing, subscribing, changing, deleting, redelivering
(`webhooks:manage`; an API key sees and manages only its own)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Table, select
from strawberry.types import Info

from custgraph.auth.permissions import Permission
from custgraph.db.models import ApiKey, StaffUser, WebhookSubscription
from custgraph.db.models import WebhookDelivery as DeliveryRow
from custgraph.db.models import WebhookLogEntry as LogRow
from custgraph.domain import webhooks as domain
from custgraph.loaders.batch import CountByParent, NewestFirstPage
from custgraph.loaders.cursor import encode_cursor
from custgraph.resolvers.access import require
from custgraph.resolvers.nested import page_request
from custgraph.resolvers.outcome import attempt

# Imported as a module: the schema module imports this one (see there).
from custgraph.schema import webhooks as schema
from custgraph.schema.global_id import decode_id_of
from custgraph.schema.pagination import Connection, build_connection

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


async def resolve_deliveries(
    info: Info, subscription_id: int, first: int | None, after: str | None
) -> Connection[schema.WebhookDelivery]:
    return await _newest_first(
        info, _DELIVERIES, subscription_id, first, after, schema.WebhookDelivery.from_row
    )


async def resolve_log(
    info: Info, subscription_id: int, first: int | None, after: str | None
) -> Connection[schema.WebhookLogEntry]:
    return await _newest_first(
        info, _LOG, subscription_id, first, after, schema.WebhookLogEntry.from_row
    )


async def _newest_first(
    info: Info,
    table: Table,
    subscription_id: int,
    first: int | None,
    after: str | None,
    build: Callable[[Any], NodeT],
) -> Connection[NodeT]:
    """A page of `table` under one subscription, newest first; the subscriptions of a
    list share one statement per page shape (a window function per subscription), as
    the customers' nested connections do."""
    size, position = page_request(first, after)
    loaders: dict[Any, Any] = info.context.area_loaders.setdefault("webhooks", {})
    shape = (table.name, size, position)
    pages = loaders.get(shape)
    if pages is None:
        pages = loaders[shape] = NewestFirstPage(
            info.context.reader, table, "subscription_id", "created_at", size, position
        )
    counts = loaders.get(table.name)
    if counts is None:
        counts = loaders[table.name] = CountByParent(info.context.reader, table, "subscription_id")
    rows = await pages.load(subscription_id)
    page = rows[:size]

    async def count() -> int:
        return int(await counts.load(subscription_id))

    return build_connection(
        [build(r) for r in page],
        [encode_cursor(r.created_at, r.id) for r in page],
        has_next_page=len(rows) > size,
        has_previous_page=after is not None,
        count=count,
    )
