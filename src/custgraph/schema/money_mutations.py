"""Loyalty and money mutations: points, store credit, loyalty level, gift cards."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from custgraph.auth.permissions import Permission as P
from custgraph.resolvers import money
from custgraph.schema.money_inputs import (
    CustomerCreditAdjustInput,
    CustomerCreditAdjustPayload,
    CustomerLevelChangeInput,
    CustomerLevelChangePayload,
    CustomerPointsAdjustInput,
    CustomerPointsAdjustPayload,
    GiftCardDeactivateInput,
    GiftCardDeactivatePayload,
    GiftCardIssueInput,
    GiftCardIssuePayload,
)
from custgraph.schema.mutation_access import mutation


@strawberry.type(description="Loyalty points, store credit, loyalty levels and gift cards.")
class MoneyMutations:
    @mutation(requires=P.LOYALTY_WRITE, description="Add or take loyalty points, never below zero.")
    async def customer_points_adjust(
        self, info: Info, input: CustomerPointsAdjustInput
    ) -> CustomerPointsAdjustPayload:
        return await money.resolve_customer_points_adjust(info, input)

    @mutation(
        requires=P.CREDIT_WRITE,
        description="Top up or reduce store credit, never below zero.",
    )
    async def customer_credit_adjust(
        self, info: Info, input: CustomerCreditAdjustInput
    ) -> CustomerCreditAdjustPayload:
        return await money.resolve_customer_credit_adjust(info, input)

    @mutation(requires=P.LOYALTY_WRITE, description="Change the loyalty level.")
    async def customer_level_change(
        self, info: Info, input: CustomerLevelChangeInput
    ) -> CustomerLevelChangePayload:
        return await money.resolve_customer_level_change(info, input)

    @mutation(
        requires=P.GIFTCARDS_WRITE,
        description="Issue a gift card to a customer and email it as a gift.",
    )
    async def gift_card_issue(self, info: Info, input: GiftCardIssueInput) -> GiftCardIssuePayload:
        return await money.resolve_gift_card_issue(info, input)

    @mutation(
        requires=P.GIFTCARDS_WRITE,
        description="Deactivate a gift card; its balance goes to zero.",
    )
    async def gift_card_deactivate(
        self, info: Info, input: GiftCardDeactivateInput
    ) -> GiftCardDeactivatePayload:
        return await money.resolve_gift_card_deactivate(info, input)
