"""Loyalty and money mutations: points, store credit, loyalty level, gift cards."""

from __future__ import annotations

from strawberry.types import Info

from custgraph.domain import gift_cards, ledgers
from custgraph.global_id import decode_id_of
from custgraph.resolvers.access import caller_of
from custgraph.resolvers.fresh import fresh_customer
from custgraph.resolvers.outcome import attempt
from custgraph.schema import money_inputs as api
from custgraph.schema.giftcards import GiftCard
from custgraph.schema.ledgers import CreditEntry, PointsEntry


async def resolve_customer_points_adjust(
    info: Info, input: api.CustomerPointsAdjustInput
) -> api.CustomerPointsAdjustPayload:
    customer_id = decode_id_of("Customer", input.customer_id, "customerId")
    done, errors = await attempt(
        ledgers.adjust_points(
            info.context.session_factory,
            caller_of(info),
            ledgers.PointsAdjustment(
                customer_id=customer_id,
                delta=input.delta,
                reason=input.reason,
                expected_version=input.expected_version,
                idempotency_key=input.idempotency_key,
            ),
        )
    )
    return api.CustomerPointsAdjustPayload(
        customer=await fresh_customer(info, done.customer_id if done else None),
        points_entry=PointsEntry.from_row(done.entry) if done and done.entry else None,
        user_errors=errors,
    )


async def resolve_customer_credit_adjust(
    info: Info, input: api.CustomerCreditAdjustInput
) -> api.CustomerCreditAdjustPayload:
    customer_id = decode_id_of("Customer", input.customer_id, "customerId")
    done, errors = await attempt(
        ledgers.adjust_credit(
            info.context.session_factory,
            caller_of(info),
            ledgers.CreditAdjustment(
                customer_id=customer_id,
                amount=input.amount,
                reason=input.reason,
                expected_version=input.expected_version,
                idempotency_key=input.idempotency_key,
            ),
            info.context.settings.currency,
        )
    )
    return api.CustomerCreditAdjustPayload(
        customer=await fresh_customer(info, done.customer_id if done else None),
        credit_entry=CreditEntry.from_row(done.entry) if done and done.entry else None,
        user_errors=errors,
    )


async def resolve_customer_level_change(
    info: Info, input: api.CustomerLevelChangeInput
) -> api.CustomerLevelChangePayload:
    customer_id = decode_id_of("Customer", input.customer_id, "customerId")
    changed_id, errors = await attempt(
        ledgers.change_level(
            info.context.session_factory,
            caller_of(info),
            customer_id,
            input.level,
            input.expected_version,
        )
    )
    return api.CustomerLevelChangePayload(
        customer=await fresh_customer(info, changed_id), user_errors=errors
    )


async def resolve_gift_card_issue(
    info: Info, input: api.GiftCardIssueInput
) -> api.GiftCardIssuePayload:
    customer_id = decode_id_of("Customer", input.customer_id, "customerId")
    done, errors = await attempt(
        gift_cards.issue_gift_card(
            info.context.session_factory,
            caller_of(info),
            gift_cards.GiftCardIssue(
                customer_id=customer_id,
                amount=input.amount,
                expires_on=input.expires_on,
                message=input.message,
                idempotency_key=input.idempotency_key,
                expected_version=input.expected_version,
            ),
            info.context.settings.currency,
        )
    )
    return api.GiftCardIssuePayload(
        customer=await fresh_customer(info, done.customer_id if done else None),
        gift_card=GiftCard.from_row(done.gift_card) if done and done.gift_card else None,
        user_errors=errors,
    )


async def resolve_gift_card_deactivate(
    info: Info, input: api.GiftCardDeactivateInput
) -> api.GiftCardDeactivatePayload:
    gift_card_id = decode_id_of("GiftCard", input.gift_card_id, "giftCardId")
    done, errors = await attempt(
        gift_cards.deactivate_gift_card(
            info.context.session_factory,
            caller_of(info),
            gift_cards.GiftCardDeactivation(
                gift_card_id=gift_card_id,
                reason=input.reason,
                idempotency_key=input.idempotency_key,
            ),
        )
    )
    return api.GiftCardDeactivatePayload(
        customer=await fresh_customer(info, done.customer_id if done else None),
        gift_card=GiftCard.from_row(done.gift_card) if done and done.gift_card else None,
        user_errors=errors,
    )
