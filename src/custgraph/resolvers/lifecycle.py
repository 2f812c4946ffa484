"""A customer's lifecycle: status, sign-in email, merge and its preview, delete, erase."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from custgraph.domain import email_change, erase, lifecycle, merge
from custgraph.global_id import decode_id_of, encode_global_id
from custgraph.resolvers.access import caller_of
from custgraph.resolvers.fresh import fresh_customer
from custgraph.resolvers.outcome import attempt
from custgraph.schema import lifecycle_inputs as api
from custgraph.schema.money import Money


async def resolve_customer_set_status(
    info: Info, input: api.CustomerSetStatusInput
) -> api.CustomerSetStatusPayload:
    customer_id = decode_id_of("Customer", input.customer_id, "customerId")
    changed, errors = await attempt(
        lifecycle.set_status(
            info.context.session_factory,
            caller_of(info),
            customer_id,
            input.status.name,
            reason=input.reason,
            expected_version=input.expected_version,
        )
    )
    return api.CustomerSetStatusPayload(
        customer=await fresh_customer(info, changed), user_errors=errors
    )


async def resolve_customer_change_email(
    info: Info, input: api.CustomerChangeEmailInput
) -> api.CustomerChangeEmailPayload:
    customer_id = decode_id_of("Customer", input.customer_id, "customerId")
    changed, errors = await attempt(
        email_change.change_email(
            info.context.session_factory,
            info.context.settings,
            caller_of(info),
            customer_id,
            input.email,
            expected_version=input.expected_version,
            idempotency_key=input.idempotency_key,
        )
    )
    return api.CustomerChangeEmailPayload(
        customer=await fresh_customer(info, changed), user_errors=errors
    )


async def resolve_customer_delete(
    info: Info, input: api.CustomerDeleteInput
) -> api.CustomerDeletePayload:
    customer_id = decode_id_of("Customer", input.customer_id, "customerId")
    deleted, errors = await attempt(
        lifecycle.delete_customer(
            info.context.session_factory,
            caller_of(info),
            customer_id,
            expected_version=input.expected_version,
        )
    )
    return api.CustomerDeletePayload(
        deleted_customer_id=strawberry.ID(encode_global_id("Customer", deleted))
        if deleted is not None
        else None,
        user_errors=errors,
    )


async def resolve_customer_erase(
    info: Info, input: api.CustomerEraseInput
) -> api.CustomerErasePayload:
    customer_id = decode_id_of("Customer", input.customer_id, "customerId")
    erased, errors = await attempt(
        erase.erase_customer(
            info.context.session_factory,
            caller_of(info),
            customer_id,
            expected_version=input.expected_version,
            idempotency_key=input.idempotency_key,
        )
    )
    return api.CustomerErasePayload(customer=await fresh_customer(info, erased), user_errors=errors)


def _merge_request(input: api.CustomerMergeInput) -> merge.MergeRequest:
    return merge.MergeRequest(
        source_id=decode_id_of("Customer", input.source_id, "sourceId"),
        target_id=decode_id_of("Customer", input.target_id, "targetId"),
        overwrite_target_values=input.overwrite_target_values,
        expected_source_version=input.expected_source_version,
        expected_target_version=input.expected_target_version,
    )


async def resolve_customer_merge(
    info: Info, input: api.CustomerMergeInput
) -> api.CustomerMergePayload:
    plan, errors = await attempt(
        merge.merge_customers(
            info.context.session_factory,
            caller_of(info),
            _merge_request(input),
            currency=info.context.settings.currency,
            idempotency_key=input.idempotency_key,
        )
    )
    target = await fresh_customer(info, plan.target_id if plan else None)
    return api.CustomerMergePayload(customer=target, user_errors=errors)


async def resolve_customer_merge_preview(
    info: Info, input: api.CustomerMergeInput
) -> api.CustomerMergePreview:
    plan, errors = await attempt(
        merge.preview_merge(info.context.session_factory, _merge_request(input))
    )
    if plan is None:
        return api.CustomerMergePreview(user_errors=errors)
    return api.CustomerMergePreview(
        addresses_moved=plan.moved["addresses"],
        orders_moved=plan.moved["orders"],
        notes_moved=plan.moved["notes"],
        gift_cards_moved=plan.moved["gift_cards"],
        memberships_moved=plan.moved["memberships"],
        events_moved=plan.moved["events"],
        points_moved=plan.points,
        credit_moved=Money(amount=plan.credit, currency=info.context.settings.currency),
        resulting_tags=plan.tags,
        field_changes=[
            api.MergeFieldChange(
                target_id=plan.target_id,
                field=c.field,
                raw_current=c.current,
                raw_result=c.result,
            )
            for c in plan.field_changes
        ],
        user_errors=[],
    )
