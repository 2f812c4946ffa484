"""Webhooks: subscribing to the change feed, and what was delivered (`webhooks:manage`)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from enum import Enum
from typing import Any

import strawberry
from strawberry.types import Info

from custgraph.auth.permissions import Permission
from custgraph.domain.change_payloads import visible_details
from custgraph.global_id import encode_global_id
from custgraph.resolvers import webhook_pages
from custgraph.schema.actor import Actor
from custgraph.schema.enums import ActorKind
from custgraph.schema.node import Node
from custgraph.schema.pagination import Connection
from custgraph.schema.user_errors import UserError

_EVENT_TYPES = (
    "`customer.created`, `customer.updated`, `customer.status_changed`, "
    "`customer.email_changed`, `customer.merged`, `customer.erased`, `customer.deleted`, "
    "`points.adjusted`, `credit.adjusted` or `gift_card.issued`"
)
_PAGE = "Newest first (`first` defaults to 20, at most 100)."


@strawberry.enum(description="Where a webhook delivery stands.")
class WebhookDeliveryState(Enum):
    PENDING = strawberry.enum_value(
        "PENDING", description="Waiting for its first attempt or a retry, or being attempted."
    )
    SUCCEEDED = strawberry.enum_value("SUCCEEDED", description="The receiver answered 2xx.")
    FAILED = strawberry.enum_value("FAILED", description="Given up after its last attempt.")


@strawberry.enum(description="What an entry of a subscription's log records.")
class WebhookLogEntryKind(Enum):
    ATTEMPT = strawberry.enum_value("ATTEMPT", description="One attempt to deliver a webhook.")
    DISABLED = strawberry.enum_value(
        "DISABLED", description="The subscription was disabled after failing attempts."
    )


@strawberry.type(description="One change sent, or to be sent, to a webhook subscription.")
class WebhookDelivery(Node):
    uuid: str = strawberry.field(
        description="The payload's `id` and the `X-Custgraph-Delivery` header; the same on "
        "every attempt, so receivers can drop repeats."
    )
    event_type: str = strawberry.field(description=f"The change's type: {_EVENT_TYPES}.")
    change_sequence: str = strawberry.field(
        description="The change's place in the feed (a whole number as text)."
    )
    customer_id: strawberry.ID = strawberry.field(description="The changed customer's id.")
    state: WebhookDeliveryState = strawberry.field(description="Where the delivery stands.")
    attempt: int = strawberry.field(description="Attempts made so far.")
    status_code: int | None = strawberry.field(
        description="HTTP status of the last attempt's answer; null without an answer."
    )
    latency_ms: int | None = strawberry.field(
        description="How long the last attempt waited for the answer, in milliseconds."
    )
    error: str | None = strawberry.field(description="Why the last attempt failed, if it did.")
    body: strawberry.Private[str]
    created_at: datetime = strawberry.field(description="When the change queued it.")
    last_attempt_at: datetime | None = strawberry.field(description="When it was last tried.")
    next_attempt_at: datetime | None = strawberry.field(
        description="When it is tried next; null unless PENDING."
    )
    succeeded_at: datetime | None = strawberry.field(description="When the receiver took it.")

    @strawberry.field(
        description="The JSON body POSTed, frozen when the change was committed; `details` "
        "the reader may not read are left out."
    )
    def payload(self, info: Info) -> str:
        return readable_payload(self.body, info.context.principal.can)

    @classmethod
    def from_row(cls, row: Any) -> WebhookDelivery:
        pending = row.state in ("PENDING", "SENDING")
        return cls(
            id=strawberry.ID(encode_global_id("WebhookDelivery", row.id)),
            uuid=row.uuid,
            event_type=row.event_type,
            change_sequence=str(row.change_sequence),
            customer_id=strawberry.ID(encode_global_id("Customer", row.customer_id)),
            # SENDING is PENDING to the outside: an attempt is under way.
            state=WebhookDeliveryState.PENDING if pending else WebhookDeliveryState(row.state),
            attempt=row.attempts,
            status_code=row.last_status_code,
            latency_ms=row.last_latency_ms,
            error=row.last_error,
            body=row.body,
            created_at=row.created_at,
            last_attempt_at=row.last_attempt_at,
            next_attempt_at=row.next_attempt_at if row.state == "PENDING" else None,
            succeeded_at=row.succeeded_at,
        )


def readable_payload(body: str, can: Callable[[Permission], bool]) -> str:
    """`body`, or a copy without the `details` a reader with permission test `can` may
    not see (the subscriber's permissions made the body; a reader's may differ)."""
    document = json.loads(body)
    details = document.get("details") or {}
    visible = visible_details(details, can)
    if len(visible) == len(details):
        return body
    document["details"] = visible
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False)


@strawberry.type(description="An entry of a webhook subscription's log.")
class WebhookLogEntry(Node):
    kind: WebhookLogEntryKind = strawberry.field(description="An attempt, or the disabling.")
    delivery_id: strawberry.ID | None = strawberry.field(
        description="The delivery attempted (for DISABLED: the one whose failure did it)."
    )
    event_type: str | None = strawberry.field(description="The delivered change's type.")
    change_sequence: str | None = strawberry.field(
        description="The delivered change's place in the feed (a whole number as text)."
    )
    attempt: int | None = strawberry.field(description="Which attempt of the delivery it was.")
    manual: bool = strawberry.field(description="Asked for with `webhookDeliveryRetry`.")
    succeeded: bool | None = strawberry.field(description="Whether the attempt succeeded.")
    status_code: int | None = strawberry.field(
        description="HTTP status of the answer; null without an answer."
    )
    latency_ms: int | None = strawberry.field(
        description="How long the attempt waited for the answer, in milliseconds."
    )
    error: str | None = strawberry.field(description="Why the attempt failed, if it did.")
    message: str = strawberry.field(description="For DISABLED: why; empty for attempts.")
    created_at: datetime = strawberry.field(description="When it happened.")

    @classmethod
    def from_row(cls, row: Any) -> WebhookLogEntry:
        return cls(
            id=strawberry.ID(encode_global_id("WebhookLogEntry", row.id)),
            kind=WebhookLogEntryKind(row.kind),
            delivery_id=strawberry.ID(encode_global_id("WebhookDelivery", row.delivery_id))
            if row.delivery_id is not None
            else None,
            event_type=row.event_type,
            change_sequence=str(row.change_sequence) if row.change_sequence is not None else None,
            attempt=row.attempt,
            manual=row.manual,
            succeeded=row.succeeded,
            status_code=row.status_code,
            latency_ms=row.latency_ms,
            error=row.error,
            message=row.message,
            created_at=row.created_at,
        )


@strawberry.type(description="Where to POST which changes to customers, signed with a secret.")
class WebhookSubscription(Node):
    key: strawberry.Private[int]
    url: str = strawberry.field(description="Where webhooks are POSTed (http or https).")
    event_types: list[str] = strawberry.field(description=f"The change types sent: {_EVENT_TYPES}.")
    is_active: bool = strawberry.field(
        description="Whether changes are sent; false when paused or disabled after failures."
    )
    owner: Actor = strawberry.field(
        description="The staff user or API key that subscribed; its permissions decide "
        "what the payloads show."
    )
    failure_count: int = strawberry.field(
        description="Failed attempts in a row since the last success, across its deliveries."
    )
    disabled_reason: str | None = strawberry.field(
        description="Why it was disabled after failures; null unless it was."
    )
    disabled_at: datetime | None = strawberry.field(description="When it was disabled.")
    created_at: datetime = strawberry.field(description="When it was created.")
    updated_at: datetime = strawberry.field(description="When it was last changed.")

    @strawberry.field(description=f"The changes delivered to it and how each went. {_PAGE}")
    async def deliveries(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[WebhookDelivery]:
        return await webhook_pages.resolve_page(
            info, "deliveries", self.key, first, after, WebhookDelivery.from_row
        )

    @strawberry.field(
        description=f"Every delivery attempt (status, latency, error) and its disabling. {_PAGE}"
    )
    async def log(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[WebhookLogEntry]:
        return await webhook_pages.resolve_page(
            info, "log", self.key, first, after, WebhookLogEntry.from_row
        )

    @classmethod
    def from_row(cls, row: Any) -> WebhookSubscription:
        if row.owner_api_key_id is not None:
            owner = Actor(
                kind=ActorKind.API_KEY,
                id=strawberry.ID(encode_global_id("ApiKey", row.owner_api_key_id)),
                name=row.api_key_name or "",
            )
        else:
            name = f"{row.staff_first_name or ''} {row.staff_last_name or ''}".strip()
            owner = Actor(
                kind=ActorKind.STAFF,
                id=strawberry.ID(encode_global_id("StaffUser", row.owner_staff_id)),
                name=name or row.staff_email or "",
            )
        return cls(
            id=strawberry.ID(encode_global_id("WebhookSubscription", row.id)),
            key=row.id,
            url=row.url,
            event_types=list(row.event_types or ()),
            is_active=row.is_active,
            owner=owner,
            failure_count=row.consecutive_failures,
            disabled_reason=row.disabled_reason,
            disabled_at=row.disabled_at,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


@strawberry.input(description="A new webhook subscription.")
class WebhookSubscriptionCreateInput:
    url: str = strawberry.field(
        description="Where to POST the webhooks: an http or https URL without credentials."
    )
    event_types: list[str] = strawberry.field(
        description=f"The change types to send, at least one: {_EVENT_TYPES}."
    )
    is_active: bool = strawberry.field(
        default=True, description="False creates it paused: nothing is sent until activated."
    )


@strawberry.type(description="The result of `webhookSubscriptionCreate`.")
class WebhookSubscriptionCreatePayload:
    webhook_subscription: WebhookSubscription | None = strawberry.field(
        description="The new subscription."
    )
    secret: str | None = strawberry.field(
        description="The signing secret that `X-Custgraph-Signature` is made with; shown "
        "this once only."
    )
    user_errors: list[UserError] = strawberry.field(description="Why it was refused.")


@strawberry.input(description="Changes to a webhook subscription; omitted fields stay.")
class WebhookSubscriptionUpdateInput:
    subscription_id: strawberry.ID = strawberry.field(description="The subscription.")
    url: str | None = strawberry.field(default=None, description="A new target URL.")
    event_types: list[str] | None = strawberry.field(
        default=None, description="The change types to send from now on, at least one."
    )
    is_active: bool | None = strawberry.field(
        default=None,
        description="False pauses it; true activates it (after a disabling too: the "
        "failure count starts again and pending deliveries go out).",
    )
    rotate_secret: bool = strawberry.field(
        default=False, description="Make a new signing secret; the old one stops at once."
    )


@strawberry.type(description="The result of `webhookSubscriptionUpdate`.")
class WebhookSubscriptionUpdatePayload:
    webhook_subscription: WebhookSubscription | None = strawberry.field(
        description="The subscription, as changed."
    )
    secret: str | None = strawberry.field(
        description="The new signing secret when `rotateSecret` was asked; shown this once."
    )
    user_errors: list[UserError] = strawberry.field(description="Why the change was refused.")


@strawberry.input(description="The webhook subscription to delete.")
class WebhookSubscriptionDeleteInput:
    subscription_id: strawberry.ID = strawberry.field(description="The subscription.")


@strawberry.type(description="The result of `webhookSubscriptionDelete`.")
class WebhookSubscriptionDeletePayload:
    deleted_subscription_id: strawberry.ID | None = strawberry.field(
        description="The id of the deleted subscription."
    )
    user_errors: list[UserError] = strawberry.field(description="Why deletion was refused.")


@strawberry.input(description="The webhook delivery to send again.")
class WebhookDeliveryRetryInput:
    delivery_id: strawberry.ID = strawberry.field(description="The delivery.")


@strawberry.type(description="The result of `webhookDeliveryRetry`.")
class WebhookDeliveryRetryPayload:
    delivery: WebhookDelivery | None = strawberry.field(
        description="The delivery, queued for an attempt now."
    )
    user_errors: list[UserError] = strawberry.field(description="Why it was refused.")
