"""Webhook subscriptions: subscribing to the change feed, changing, deleting, redelivering.

A subscription belongs to the staff user or API key that made it. Staff (with
`webhooks:manage`) see and manage every subscription; an API key only its own, and
anyone else's is NOT_FOUND to it, as if it did not exist. What a subscription is sent
is decided as each change commits (domain/webhook_outbox.py), with its owner's
permissions at that moment; the worker (custgraph/webhooks/) sends it.

The signing secret is derived from `CUSTGRAPH_SECRET_KEY` and a random salt kept in the
row (auth/webhook_secrets.py): shown once when subscribing and when rotated, never
stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, func, select, true
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from custgraph.auth.permissions import Permission
from custgraph.auth.principal import Principal, PrincipalKind
from custgraph.auth.webhook_secrets import new_secret_salt, signing_secret
from custgraph.db.models import WebhookDelivery, WebhookSubscription
from custgraph.domain.changes import CHANGE_TYPES
from custgraph.domain.errors import DomainError
from custgraph.domain.transaction import in_transaction
from custgraph.domain.webhook_outbox import READ_PERMISSION
from custgraph.domain.webhook_targets import checked_target_url

# Enough for any integration's endpoints; bounds the list `webhookSubscriptions` shows.
MAX_SUBSCRIPTIONS_PER_OWNER = 50


@dataclass(frozen=True)
class WebhookOwner:
    """Who subscribes: a staff user (sees every subscription) or an API key (its own)."""

    staff_id: int | None
    api_key_id: int | None
    permissions: frozenset[Permission]

    @classmethod
    def of(cls, principal: Principal) -> WebhookOwner:
        """The owner a caller subscribes as; only staff users and API keys subscribe."""
        if principal.kind is PrincipalKind.STAFF:
            return cls(principal.id, None, principal.permissions)
        if principal.kind is PrincipalKind.API_KEY:
            return cls(None, principal.id, principal.permissions)
        raise DomainError("NOT_ALLOWED", "Only staff users and API keys subscribe to webhooks.")

    def scope(self) -> ColumnElement[bool]:
        """The subscriptions this owner may see and manage."""
        if self.api_key_id is not None:
            return WebhookSubscription.owner_api_key_id == self.api_key_id
        return true()


@dataclass(frozen=True)
class SubscriptionWithSecret:
    """A subscription and its signing secret, when this action made one (else None)."""

    subscription: WebhookSubscription
    secret: str | None


@dataclass(frozen=True)
class SubscriptionChanges:
    """What `update_subscription` changes; None leaves a value as it is."""

    url: str | None = None
    event_types: Sequence[str] | None = None
    is_active: bool | None = None
    rotate_secret: bool = False


def checked_event_types(event_types: Sequence[str]) -> list[str]:
    """The change types subscribed to, each once, in the catalogue's order."""
    unknown = sorted({t for t in event_types if t not in CHANGE_TYPES})
    if unknown:
        raise DomainError(
            "INVALID",
            f"Unknown event types: {', '.join(unknown)}. Known: {', '.join(CHANGE_TYPES)}.",
            ["eventTypes"],
        )
    if not event_types:
        raise DomainError("REQUIRED", "Subscribe to at least one event type.", ["eventTypes"])
    wanted = set(event_types)
    return [t for t in CHANGE_TYPES if t in wanted]


async def create_subscription(
    sessions: async_sessionmaker[AsyncSession],
    owner: WebhookOwner,
    *,
    url: str,
    event_types: Sequence[str],
    is_active: bool = True,
    secret_key: str,
    allow_private_targets: bool = False,
) -> SubscriptionWithSecret:
    """Subscribe `url` to `event_types`; the signing secret is returned this once.

    The owner must be able to read customers (`customers:read`): every webhook names a
    customer and what changed.
    """
    target = checked_target_url(url, allow_private=allow_private_targets)
    types = checked_event_types(event_types)
    if READ_PERMISSION not in owner.permissions:
        raise DomainError(
            "NOT_ALLOWED",
            f"Webhooks tell of customers' changes: the subscriber needs `{READ_PERMISSION}`.",
        )

    async def work(session: AsyncSession) -> SubscriptionWithSecret:
        owned = await session.scalar(
            select(func.count())
            .select_from(WebhookSubscription)
            .where(
                WebhookSubscription.owner_staff_id == owner.staff_id
                if owner.staff_id is not None
                else WebhookSubscription.owner_api_key_id == owner.api_key_id
            )
        )
        if (owned or 0) >= MAX_SUBSCRIPTIONS_PER_OWNER:
            raise DomainError(
                "NOT_ALLOWED",
                f"A subscriber has at most {MAX_SUBSCRIPTIONS_PER_OWNER} subscriptions.",
            )
        now = datetime.now(UTC)
        subscription = WebhookSubscription(
            url=target,
            event_types=types,
            is_active=is_active,
            secret_salt=new_secret_salt(),
            owner_staff_id=owner.staff_id,
            owner_api_key_id=owner.api_key_id,
            consecutive_failures=0,
            created_at=now,
            updated_at=now,
        )
        session.add(subscription)
        await session.flush()
        return SubscriptionWithSecret(
            subscription, signing_secret(secret_key, subscription.secret_salt)
        )

    return await in_transaction(sessions, work)


async def update_subscription(
    sessions: async_sessionmaker[AsyncSession],
    owner: WebhookOwner,
    subscription_id: int,
    changes: SubscriptionChanges,
    *,
    secret_key: str,
    allow_private_targets: bool = False,
) -> SubscriptionWithSecret:
    """Change a subscription's URL, event types or active flag, or rotate its secret.

    Activating a subscription that was disabled after failures clears the reason and
    the failure count; deliveries still pending go out again. A rotated secret signs
    every attempt from now on, retries of older deliveries too.
    """
    target = (
        checked_target_url(changes.url, allow_private=allow_private_targets)
        if changes.url is not None
        else None
    )
    types = checked_event_types(changes.event_types) if changes.event_types is not None else None

    async def work(session: AsyncSession) -> SubscriptionWithSecret:
        subscription = await _owned_subscription(session, owner, subscription_id)
        if target is not None:
            subscription.url = target
        if types is not None:
            subscription.event_types = types
        if changes.is_active is True and not subscription.is_active:
            subscription.is_active = True
            subscription.consecutive_failures = 0
            subscription.disabled_reason = None
            subscription.disabled_at = None
        elif changes.is_active is False:
            subscription.is_active = False
        secret = None
        if changes.rotate_secret:
            subscription.secret_salt = new_secret_salt()
            secret = signing_secret(secret_key, subscription.secret_salt)
        subscription.updated_at = datetime.now(UTC)
        return SubscriptionWithSecret(subscription, secret)

    return await in_transaction(sessions, work)


async def delete_subscription(
    sessions: async_sessionmaker[AsyncSession], owner: WebhookOwner, subscription_id: int
) -> int:
    """Delete a subscription with its deliveries and log; nothing more is sent to it.

    An attempt in flight still completes; its result finds nothing to record.
    """

    async def work(session: AsyncSession) -> int:
        subscription = await _owned_subscription(session, owner, subscription_id)
        await session.delete(subscription)
        return subscription_id

    return await in_transaction(sessions, work)


async def retry_delivery(
    sessions: async_sessionmaker[AsyncSession], owner: WebhookOwner, delivery_id: int
) -> WebhookDelivery:
    """Queue a delivery's payload again, as a new attempt due now.

    A delivery still waiting for a retry is brought forward (its remaining automatic
    retries stay); one that succeeded or failed for good gets one attempt more, the same
    payload with the same id. Refused while an attempt is in flight, and while the
    subscription is not active (nothing would be sent).
    """

    async def work(session: AsyncSession) -> WebhookDelivery:
        row = (
            await session.execute(
                select(WebhookDelivery, WebhookSubscription.is_active)
                .join(
                    WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id
                )
                .where(WebhookDelivery.id == delivery_id, owner.scope())
                .with_for_update(of=WebhookDelivery)
            )
        ).one_or_none()
        if row is None:
            raise DomainError("NOT_FOUND", "No such webhook delivery.", ["deliveryId"])
        delivery, active = row
        if not active:
            raise DomainError(
                "NOT_ALLOWED",
                "The subscription is not active; activate it to deliver again.",
                ["deliveryId"],
            )
        if delivery.state == "SENDING":
            raise DomainError(
                "NOT_ALLOWED", "The delivery is being attempted right now.", ["deliveryId"]
            )
        if delivery.state != "PENDING":
            delivery.state = "PENDING"
            delivery.max_attempts = delivery.attempts + 1
        delivery.manual = True
        delivery.next_attempt_at = datetime.now(UTC)
        return delivery

    return await in_transaction(sessions, work)


async def _owned_subscription(
    session: AsyncSession, owner: WebhookOwner, subscription_id: int
) -> WebhookSubscription:
    subscription = await session.scalar(
        select(WebhookSubscription)
        .where(WebhookSubscription.id == subscription_id, owner.scope())
        .with_for_update()
    )
    if subscription is None:
        raise DomainError("NOT_FOUND", "No such webhook subscription.", ["subscriptionId"])
    return subscription
