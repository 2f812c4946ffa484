"""Mutations of signing in and of managing staff users and API keys."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from custgraph.auth.permissions import Permission as P
from custgraph.resolvers import sign_in, staff_admin
from custgraph.schema.mutation_access import PUBLIC, mutation
from custgraph.schema.sign_in import (
    CustomerLoginInput,
    CustomerLoginPayload,
    CustomerRegisterInput,
    CustomerRegisterPayload,
    CustomerRequestPasswordResetInput,
    CustomerRequestPasswordResetPayload,
    CustomerResetPasswordInput,
    CustomerResetPasswordPayload,
    CustomerVerifyEmailInput,
    CustomerVerifyEmailPayload,
    StaffLoginInput,
    StaffLoginPayload,
)
from custgraph.schema.staff_admin import (
    ApiKeyCreateInput,
    ApiKeyCreatePayload,
    ApiKeyRevokeInput,
    ApiKeyRevokePayload,
    StaffUserCreateInput,
    StaffUserCreatePayload,
    StaffUserUpdateInput,
    StaffUserUpdatePayload,
)


@strawberry.type(description="Signing in and managing staff users and API keys.")
class IdentityMutations:
    @mutation(requires=PUBLIC, description="Sign in as a staff user; returns a bearer token.")
    async def staff_login(self, info: Info, input: StaffLoginInput) -> StaffLoginPayload:
        return await sign_in.resolve_staff_login(info, input)

    @mutation(requires=PUBLIC, description="Sign in as a customer (mobile app); returns a token.")
    async def customer_login(self, info: Info, input: CustomerLoginInput) -> CustomerLoginPayload:
        return await sign_in.resolve_customer_login(info, input)

    @mutation(
        requires=PUBLIC,
        description="Register as a customer; a verification link is emailed.",
    )
    async def customer_register(
        self, info: Info, input: CustomerRegisterInput
    ) -> CustomerRegisterPayload:
        return await sign_in.resolve_customer_register(info, input)

    @mutation(requires=PUBLIC, description="Complete email verification with the emailed token.")
    async def customer_verify_email(
        self, info: Info, input: CustomerVerifyEmailInput
    ) -> CustomerVerifyEmailPayload:
        return await sign_in.resolve_customer_verify_email(info, input)

    @mutation(
        requires=PUBLIC,
        description="Ask for a reset-password link by email (answers alike for unknown emails).",
    )
    async def customer_request_password_reset(
        self, info: Info, input: CustomerRequestPasswordResetInput
    ) -> CustomerRequestPasswordResetPayload:
        return await sign_in.resolve_customer_request_password_reset(info, input)

    @mutation(requires=PUBLIC, description="Set a new password with the emailed reset token.")
    async def customer_reset_password(
        self, info: Info, input: CustomerResetPasswordInput
    ) -> CustomerResetPasswordPayload:
        return await sign_in.resolve_customer_reset_password(info, input)

    @mutation(requires=P.STAFF_MANAGE, description="Create a staff user.")
    async def staff_user_create(
        self, info: Info, input: StaffUserCreateInput
    ) -> StaffUserCreatePayload:
        return await staff_admin.resolve_staff_user_create(info, input)

    @mutation(requires=P.STAFF_MANAGE, description="Change a staff user.")
    async def staff_user_update(
        self, info: Info, input: StaffUserUpdateInput
    ) -> StaffUserUpdatePayload:
        return await staff_admin.resolve_staff_user_update(info, input)

    @mutation(
        requires=P.STAFF_MANAGE,
        description="Create a partner API key; its secret is shown once.",
    )
    async def api_key_create(self, info: Info, input: ApiKeyCreateInput) -> ApiKeyCreatePayload:
        return await staff_admin.resolve_api_key_create(info, input)

    @mutation(requires=P.STAFF_MANAGE, description="Revoke an API key at once.")
    async def api_key_revoke(self, info: Info, input: ApiKeyRevokeInput) -> ApiKeyRevokePayload:
        return await staff_admin.resolve_api_key_revoke(info, input)
