"""Account access and messages: links, password, MFA, notifications to a customer."""

from __future__ import annotations

from sqlalchemy import select
from strawberry.types import Info

from custgraph.db.models import Notification as NotificationRow
from custgraph.domain import account_access, messages
from custgraph.global_id import decode_id_of
from custgraph.resolvers.access import caller_of
from custgraph.resolvers.fresh import fresh_customer
from custgraph.resolvers.outcome import attempt
from custgraph.schema import access_inputs as schema
from custgraph.schema.activity import Notification


async def resolve_customer_send_password_reset(
    info: Info, input: schema.CustomerSendPasswordResetInput
) -> schema.CustomerSendPasswordResetPayload:
    customer_id = decode_id_of("Customer", input.customer_id, "customerId")
    sent, errors = await attempt(
        account_access.send_password_reset_link(
            info.context.session_factory,
            info.context.settings,
            caller_of(info),
            customer_id,
            idempotency_key=input.idempotency_key,
        )
    )
    return schema.CustomerSendPasswordResetPayload(
        customer=await fresh_customer(info, sent), user_errors=errors
    )


async def resolve_customer_resend_verification(
    info: Info, input: schema.CustomerResendVerificationInput
) -> schema.CustomerResendVerificationPayload:
    customer_id = decode_id_of("Customer", input.customer_id, "customerId")
    sent, errors = await attempt(
        account_access.resend_verification(
            info.context.session_factory,
            info.context.settings,
            caller_of(info),
            customer_id,
            idempotency_key=input.idempotency_key,
        )
    )
    return schema.CustomerResendVerificationPayload(
        customer=await fresh_customer(info, sent), user_errors=errors
    )


async def resolve_customer_set_password(
    info: Info, input: schema.CustomerSetPasswordInput
) -> schema.CustomerSetPasswordPayload:
    customer_id = decode_id_of("Customer", input.customer_id, "customerId")
    changed, errors = await attempt(
        account_access.set_password(
            info.context.session_factory,
            caller_of(info),
            customer_id,
            input.password,
            expected_version=input.expected_version,
        )
    )
    return schema.CustomerSetPasswordPayload(
        customer=await fresh_customer(info, changed), user_errors=errors
    )


async def resolve_customer_update_mfa(
    info: Info, input: schema.CustomerUpdateMfaInput
) -> schema.CustomerUpdateMfaPayload:
    customer_id = decode_id_of("Customer", input.customer_id, "customerId")
    changed, errors = await attempt(
        account_access.update_mfa(
            info.context.session_factory,
            caller_of(info),
            customer_id,
            enabled=input.enabled,
            phone=input.phone,
            expected_version=input.expected_version,
        )
    )
    return schema.CustomerUpdateMfaPayload(
        customer=await fresh_customer(info, changed), user_errors=errors
    )


async def resolve_customer_notify(
    info: Info, input: schema.CustomerNotifyInput
) -> schema.CustomerNotifyPayload:
    customer_id = decode_id_of("Customer", input.customer_id, "customerId")
    sent, errors = await attempt(
        messages.notify_customer(
            info.context.session_factory,
            caller_of(info),
            customer_id,
            channel=input.channel.name,
            subject=input.subject,
            body=input.body,
            idempotency_key=input.idempotency_key,
        )
    )
    if sent is None:
        return schema.CustomerNotifyPayload(customer=None, notification=None, user_errors=errors)
    # fresh_customer first: it moves the reader to a snapshot that has the new row.
    customer = await fresh_customer(info, sent.customer_id)
    rows = await info.context.reader.all(
        select(NotificationRow.__table__).where(NotificationRow.id == sent.notification_id)
    )
    return schema.CustomerNotifyPayload(
        customer=customer,
        notification=Notification.from_row(rows[0]) if rows else None,
        user_errors=[],
    )
