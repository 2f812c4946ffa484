"""The inputs and payloads of loyalty and money mutations: points, store credit, loyalty
level, gift cards."""

from __future__ import annotations

from datetime import date

import strawberry

from custgraph.schema.customer import Customer
from custgraph.schema.giftcards import GiftCard
from custgraph.schema.ledgers import CreditEntry, PointsEntry
from custgraph.schema.user_errors import UserError

_EXPECTED_VERSION = "The customer's `version` as last read; CONFLICT if it changed since."
_IDEMPOTENCY_KEY = (
    "Makes retries safe: the same key and input return the first result and write nothing."
)


@strawberry.input(description="Loyalty points to add to or take from a customer.")
class CustomerPointsAdjustInput:
    customer_id: strawberry.ID = strawberry.field(description="The customer.")
    delta: int = strawberry.field(
        description="Points to add (positive) or take (negative); not zero."
    )
    reason: str = strawberry.field(description="Why, as the points history shows it.")
    expected_version: int | None = strawberry.field(default=None, description=_EXPECTED_VERSION)
    idempotency_key: str | None = strawberry.field(default=None, description=_IDEMPOTENCY_KEY)


@strawberry.type(description="The result of `customerPointsAdjust`.")
class CustomerPointsAdjustPayload:
    customer: Customer | None = strawberry.field(description="The customer, as changed.")
    points_entry: PointsEntry | None = strawberry.field(
        description="The points ledger entry written."
    )
    user_errors: list[UserError] = strawberry.field(description="Why the change was refused.")


@strawberry.input(description="Store credit to add to or take from a customer.")
class CustomerCreditAdjustInput:
    customer_id: strawberry.ID = strawberry.field(description="The customer.")
    amount: str = strawberry.field(
        description="Signed decimal in the shop currency with at most two decimals, "
        'e.g. "12.50" or "-3.00"; not zero.'
    )
    reason: str = strawberry.field(description="Why, as the credit history shows it.")
    expected_version: int | None = strawberry.field(default=None, description=_EXPECTED_VERSION)
    idempotency_key: str | None = strawberry.field(default=None, description=_IDEMPOTENCY_KEY)


@strawberry.type(description="The result of `customerCreditAdjust`.")
class CustomerCreditAdjustPayload:
    customer: Customer | None = strawberry.field(description="The customer, as changed.")
    credit_entry: CreditEntry | None = strawberry.field(
        description="The credit ledger entry written."
    )
    user_errors: list[UserError] = strawberry.field(description="Why the change was refused.")


@strawberry.input(description="A customer's new loyalty level.")
class CustomerLevelChangeInput:
    customer_id: strawberry.ID = strawberry.field(description="The customer.")
    level: str = strawberry.field(description="Bronze, Silver, Gold or Platinum.")
    expected_version: int | None = strawberry.field(default=None, description=_EXPECTED_VERSION)


@strawberry.type(description="The result of `customerLevelChange`.")
class CustomerLevelChangePayload:
    customer: Customer | None = strawberry.field(description="The customer, as changed.")
    user_errors: list[UserError] = strawberry.field(description="Why the change was refused.")


@strawberry.input(description="A gift card to give a customer; it is emailed to them.")
class GiftCardIssueInput:
    customer_id: strawberry.ID = strawberry.field(description="The customer receiving the card.")
    amount: str = strawberry.field(
        description='Value in the shop currency, e.g. "50.00": positive, at most 10000.'
    )
    expires_on: date | None = strawberry.field(
        default=None, description="Last day the card can be used; not in the past (UTC)."
    )
    message: str | None = strawberry.field(
        default=None, description="A message sent with the card (at most 1000 characters)."
    )
    expected_version: int | None = strawberry.field(
        default=None, description="Refuse with CONFLICT unless the customer has this version."
    )
    idempotency_key: str | None = strawberry.field(default=None, description=_IDEMPOTENCY_KEY)


@strawberry.type(description="The result of `giftCardIssue`.")
class GiftCardIssuePayload:
    customer: Customer | None = strawberry.field(description="The customer holding the card.")
    gift_card: GiftCard | None = strawberry.field(description="The new gift card.")
    user_errors: list[UserError] = strawberry.field(description="Why issuing was refused.")


@strawberry.input(description="A gift card to deactivate for good.")
class GiftCardDeactivateInput:
    gift_card_id: strawberry.ID = strawberry.field(description="The gift card.")
    reason: str | None = strawberry.field(
        default=None, description="Why, as the card's ledger records it."
    )
    idempotency_key: str | None = strawberry.field(default=None, description=_IDEMPOTENCY_KEY)


@strawberry.type(description="The result of `giftCardDeactivate`.")
class GiftCardDeactivatePayload:
    customer: Customer | None = strawberry.field(description="The customer holding the card.")
    gift_card: GiftCard | None = strawberry.field(description="The deactivated gift card.")
    user_errors: list[UserError] = strawberry.field(description="Why it was refused.")
