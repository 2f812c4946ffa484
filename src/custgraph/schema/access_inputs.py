"""The inputs and payloads of account access (reset and verification links, password, MFA) and
messages to customers."""

from __future__ import annotations

import strawberry

# The resolvers build this module's payloads, so each side imports the other as a
# module (never names from it), which works in either import order.
from custgraph.schema.activity import Notification
from custgraph.schema.customer import Customer
from custgraph.schema.enums import NotificationChannel
from custgraph.schema.user_errors import UserError

_EXPECTED_VERSION = "The customer's version you read; CONFLICT when stale."
_IDEMPOTENCY_KEY = "Retries with the same key and input send nothing more (1 to 200 characters)."


@strawberry.input(description="The customer to email a reset-password link to.")
class CustomerSendPasswordResetInput:
    customer_id: strawberry.ID = strawberry.field(description="The customer.")
    idempotency_key: str | None = strawberry.field(default=None, description=_IDEMPOTENCY_KEY)


@strawberry.type(description="The result of `customerSendPasswordReset`.")
class CustomerSendPasswordResetPayload:
    customer: Customer | None = strawberry.field(description="The customer the link went to.")
    user_errors: list[UserError] = strawberry.field(description="Why nothing was sent.")


@strawberry.input(description="The customer to email a new verify-email link to.")
class CustomerResendVerificationInput:
    customer_id: strawberry.ID = strawberry.field(description="The customer.")
    idempotency_key: str | None = strawberry.field(default=None, description=_IDEMPOTENCY_KEY)


@strawberry.type(description="The result of `customerResendVerification`.")
class CustomerResendVerificationPayload:
    customer: Customer | None = strawberry.field(description="The customer the link went to.")
    user_errors: list[UserError] = strawberry.field(description="Why nothing was sent.")


@strawberry.input(description="A new password for a customer, set by staff.")
class CustomerSetPasswordInput:
    customer_id: strawberry.ID = strawberry.field(description="The customer.")
    password: str = strawberry.field(description="The new password, at least 12 characters.")
    expected_version: int | None = strawberry.field(default=None, description=_EXPECTED_VERSION)


@strawberry.type(description="The result of `customerSetPassword`.")
class CustomerSetPasswordPayload:
    customer: Customer | None = strawberry.field(description="The customer as changed.")
    user_errors: list[UserError] = strawberry.field(description="Why the change was refused.")


@strawberry.input(description="Multi-factor authentication settings for a customer.")
class CustomerUpdateMfaInput:
    customer_id: strawberry.ID = strawberry.field(description="The customer.")
    enabled: bool = strawberry.field(description="Whether a second factor is required.")
    phone: str | None = strawberry.field(
        default=None,
        description="Phone receiving the codes in international form (stored as E.164); "
        "required when enabling, left out when disabling.",
    )
    expected_version: int | None = strawberry.field(default=None, description=_EXPECTED_VERSION)


@strawberry.type(description="The result of `customerUpdateMfa`.")
class CustomerUpdateMfaPayload:
    customer: Customer | None = strawberry.field(description="The customer as changed.")
    user_errors: list[UserError] = strawberry.field(description="Why the change was refused.")


@strawberry.input(description="A message to send to a customer.")
class CustomerNotifyInput:
    customer_id: strawberry.ID = strawberry.field(description="The customer.")
    channel: NotificationChannel = strawberry.field(
        description="EMAIL (needs an email on file), SMS (needs a phone) or PUSH."
    )
    subject: str | None = strawberry.field(
        default=None, description="Subject or title, up to 200 characters; required for EMAIL."
    )
    body: str = strawberry.field(
        description="The text: up to 20000 characters by email, 1600 by SMS, 1000 by push."
    )
    idempotency_key: str | None = strawberry.field(default=None, description=_IDEMPOTENCY_KEY)


@strawberry.type(description="The result of `customerNotify`.")
class CustomerNotifyPayload:
    customer: Customer | None = strawberry.field(description="The customer messaged.")
    notification: Notification | None = strawberry.field(
        description="The queued message, as the customer's notifications list it."
    )
    user_errors: list[UserError] = strawberry.field(description="Why nothing was sent.")
