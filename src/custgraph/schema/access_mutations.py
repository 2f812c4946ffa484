"""Mutations of account access: password resets, verification, MFA, messages."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from custgraph.auth.permissions import Permission as P
from custgraph.resolvers import account_access
from custgraph.schema.access_inputs import (
    CustomerNotifyInput,
    CustomerNotifyPayload,
    CustomerResendVerificationInput,
    CustomerResendVerificationPayload,
    CustomerSendPasswordResetInput,
    CustomerSendPasswordResetPayload,
    CustomerSetPasswordInput,
    CustomerSetPasswordPayload,
    CustomerUpdateMfaInput,
    CustomerUpdateMfaPayload,
)
from custgraph.schema.mutation_access import Access, OwnRecord, mutation


@strawberry.type(description="How customers get into their accounts, and messages to them.")
class AccountAccessMutations:
    @mutation(requires=P.CUSTOMERS_WRITE, description="Email a customer a reset-password link.")
    async def customer_send_password_reset(
        self, info: Info, input: CustomerSendPasswordResetInput
    ) -> CustomerSendPasswordResetPayload:
        return await account_access.resolve_customer_send_password_reset(info, input)

    @mutation(
        requires=P.CUSTOMERS_WRITE,
        description="Email a customer whose email is unverified a new verification link.",
    )
    async def customer_resend_verification(
        self, info: Info, input: CustomerResendVerificationInput
    ) -> CustomerResendVerificationPayload:
        return await account_access.resolve_customer_resend_verification(info, input)

    @mutation(
        requires=P.CUSTOMERS_ADMIN,
        description="Set a customer's password; their sessions end.",
    )
    async def customer_set_password(
        self, info: Info, input: CustomerSetPasswordInput
    ) -> CustomerSetPasswordPayload:
        return await account_access.resolve_customer_set_password(info, input)

    @mutation(
        requires=Access(P.CUSTOMERS_WRITE, OwnRecord.BY_CUSTOMER_ID),
        description="Turn multi-factor authentication on or off; customers may do it for "
        "themselves.",
    )
    async def customer_update_mfa(
        self, info: Info, input: CustomerUpdateMfaInput
    ) -> CustomerUpdateMfaPayload:
        return await account_access.resolve_customer_update_mfa(info, input)

    @mutation(
        requires=P.NOTIFICATIONS_SEND,
        description="Send a customer an email, SMS or push message through the outbox.",
    )
    async def customer_notify(
        self, info: Info, input: CustomerNotifyInput
    ) -> CustomerNotifyPayload:
        return await account_access.resolve_customer_notify(info, input)
