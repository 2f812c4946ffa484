"""The inputs and payloads of the customer lifecycle: status changes, email change, merge
(and its preview), delete, erase."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from custgraph.auth.permissions import Permission
from custgraph.schema.activity import MASK, PII_FIELDS
from custgraph.schema.customer import Customer
from custgraph.schema.enums import CustomerStatus
from custgraph.schema.idempotency import idempotency_key_field
from custgraph.schema.money import Money
from custgraph.schema.permissions import may
from custgraph.schema.user_errors import UserError

_EXPECTED_VERSION = "The customer's `version` as last read; CONFLICT if it changed since."
_IDEMPOTENCY_KEY = (
    "Makes retries safe: the same key and input return the first result and write nothing."
)
_BLOCKED = " Null when refused."


@strawberry.input(description="The status to move a customer to.")
class CustomerSetStatusInput:
    customer_id: strawberry.ID = strawberry.field(description="The customer.")
    status: CustomerStatus = strawberry.field(
        description="The status to move to: block, unblock, deactivate, reactivate or "
        "disable (for good). MERGED and ERASED are set by merging and erasing only."
    )
    reason: str | None = strawberry.field(
        default=None, description="Why, as the activity log shows it (at most 300 characters)."
    )
    expected_version: int | None = strawberry.field(default=None, description=_EXPECTED_VERSION)


@strawberry.type(description="The result of `customerSetStatus`.")
class CustomerSetStatusPayload:
    customer: Customer | None = strawberry.field(description="The customer, as changed.")
    user_errors: list[UserError] = strawberry.field(description="Why the change was refused.")


@strawberry.input(description="A new sign-in email for a customer.")
class CustomerChangeEmailInput:
    customer_id: strawberry.ID = strawberry.field(description="The customer.")
    email: str = strawberry.field(description="The new email; a verification link goes to it.")
    expected_version: int | None = strawberry.field(default=None, description=_EXPECTED_VERSION)
    idempotency_key: str | None = strawberry.field(default=None, description=_IDEMPOTENCY_KEY)


@strawberry.type(description="The result of `customerChangeEmail`.")
class CustomerChangeEmailPayload:
    customer: Customer | None = strawberry.field(description="The customer, as changed.")
    user_errors: list[UserError] = strawberry.field(description="Why the change was refused.")


@strawberry.input(description="The customer to delete.")
class CustomerDeleteInput:
    customer_id: strawberry.ID = strawberry.field(description="The customer.")
    expected_version: int | None = strawberry.field(default=None, description=_EXPECTED_VERSION)


@strawberry.type(description="The result of `customerDelete`.")
class CustomerDeletePayload:
    deleted_customer_id: strawberry.ID | None = strawberry.field(
        description="The id of the customer deleted."
    )
    user_errors: list[UserError] = strawberry.field(description="Why deletion was refused.")


@strawberry.input(description="The customer whose personal data to erase.")
class CustomerEraseInput:
    customer_id: strawberry.ID = strawberry.field(description="The customer.")
    expected_version: int | None = strawberry.field(default=None, description=_EXPECTED_VERSION)
    idempotency_key: str | None = idempotency_key_field()


@strawberry.type(description="The result of `customerErase`.")
class CustomerErasePayload:
    customer: Customer | None = strawberry.field(
        description="The customer, ERASED and without personal data."
    )
    user_errors: list[UserError] = strawberry.field(description="Why erasure was refused.")


@strawberry.input(description="Which customer to merge into which, and how.")
class CustomerMergeInput:
    source_id: strawberry.ID = strawberry.field(
        description="The duplicate: moved into the target, then MERGED."
    )
    target_id: strawberry.ID = strawberry.field(description="The customer that stays.")
    overwrite_target_values: bool = strawberry.field(
        default=False,
        description="False: the target keeps its values and only empty ones are filled from "
        "the source. True: the source's non-empty values replace the target's.",
    )
    expected_source_version: int | None = strawberry.field(
        default=None, description="The source's `version` as last read; CONFLICT if it changed."
    )
    expected_target_version: int | None = strawberry.field(
        default=None, description="The target's `version` as last read; CONFLICT if it changed."
    )
    idempotency_key: str | None = idempotency_key_field()


@strawberry.type(description="The result of `customerMerge`.")
class CustomerMergePayload:
    customer: Customer | None = strawberry.field(description="The target, as merged.")
    user_errors: list[UserError] = strawberry.field(description="Why the merge was refused.")


@strawberry.type(description="A target field whose value a merge changes.")
class MergeFieldChange:
    target_id: strawberry.Private[int]
    field: str = strawberry.field(
        description="The field's name as in `Customer`; `customFields.<key>` for custom fields."
    )
    raw_current: strawberry.Private[str | None]
    raw_result: strawberry.Private[str | None]

    @strawberry.field(description="The target's value now (masked if PII).")
    def current_value(self, info: Info) -> str | None:
        return self._shown(info, self.raw_current)

    @strawberry.field(description="The target's value after the merge (masked if PII).")
    def resulting_value(self, info: Info) -> str | None:
        return self._shown(info, self.raw_result)

    def _shown(self, info: Info, value: str | None) -> str | None:
        hidden = self.field in PII_FIELDS and not may(
            info, Permission.CUSTOMERS_READ_PII, self.target_id
        )
        return MASK if hidden and value is not None else value


@strawberry.type(description="What `customerMerge` would do with the same input, changing nothing.")
class CustomerMergePreview:
    addresses_moved: int | None = strawberry.field(
        default=None,
        description="Addresses moved to the target (none become its defaults)." + _BLOCKED,
    )
    orders_moved: int | None = strawberry.field(
        default=None, description="Orders moved." + _BLOCKED
    )
    notes_moved: int | None = strawberry.field(default=None, description="Notes moved." + _BLOCKED)
    gift_cards_moved: int | None = strawberry.field(
        default=None, description="Gift cards moved." + _BLOCKED
    )
    memberships_moved: int | None = strawberry.field(
        default=None, description="Loyalty memberships moved." + _BLOCKED
    )
    events_moved: int | None = strawberry.field(
        default=None, description="Activity log entries moved." + _BLOCKED
    )
    points_moved: int | None = strawberry.field(
        default=None, description="Loyalty points moved to the target." + _BLOCKED
    )
    credit_moved: Money | None = strawberry.field(
        default=None, description="Store credit moved to the target." + _BLOCKED
    )
    resulting_tags: list[str] | None = strawberry.field(
        default=None, description="The target's tags after the merge." + _BLOCKED
    )
    field_changes: list[MergeFieldChange] | None = strawberry.field(
        default=None,
        description="Person and custom fields of the target whose value changes." + _BLOCKED,
    )
    user_errors: list[UserError] = strawberry.field(
        description="What would refuse the merge; empty when it can go ahead."
    )
