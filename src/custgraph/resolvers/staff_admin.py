"""Staff users and API keys: listing and managing them (`staff:manage`)."""

from __future__ import annotations

from sqlalchemy import select
from strawberry.types import Info

from custgraph.db.models import ApiKey as ApiKeyRow
from custgraph.db.models import StaffUser as StaffUserRow
from custgraph.domain import api_keys, staff_accounts
from custgraph.global_id import decode_id_of
from custgraph.loaders.registry import STAFF_PUBLIC_COLUMNS
from custgraph.resolvers.outcome import attempt
from custgraph.schema.staff import StaffUser
from custgraph.schema.staff_admin import (
    ApiKey,
    ApiKeyCreateInput,
    ApiKeyCreatePayload,
    ApiKeyRevokeInput,
    ApiKeyRevokePayload,
    StaffUserCreateInput,
    StaffUserCreatePayload,
    StaffUserUpdateInput,
    StaffUserUpdatePayload,
)


async def resolve_staff_users(info: Info) -> list[StaffUser]:
    rows = await info.context.reader.all(select(*STAFF_PUBLIC_COLUMNS).order_by(StaffUserRow.email))
    return [StaffUser.from_row(r) for r in rows]


async def resolve_api_keys(info: Info) -> list[ApiKey]:
    rows = await info.context.reader.all(select(ApiKeyRow.__table__).order_by(ApiKeyRow.id))
    return [ApiKey.from_row(r) for r in rows]


async def _staff(info: Info, staff_id: int) -> StaffUser | None:
    row = await info.context.loaders.staff_user.load(staff_id)
    return StaffUser.from_row(row) if row else None


async def resolve_staff_user_create(
    info: Info, input: StaffUserCreateInput
) -> StaffUserCreatePayload:
    principal = info.context.principal
    user, errors = await attempt(
        staff_accounts.create_staff_user(
            info.context.session_factory,
            email=input.email,
            role=input.role,
            password=input.password,
            first_name=input.first_name,
            last_name=input.last_name,
            actor_role=principal.role,
            special_use_email_domains=info.context.settings.email_allow_special_use_domains,
        )
    )
    staff_user = await _staff(info, user.id) if user else None
    return StaffUserCreatePayload(staff_user=staff_user, user_errors=errors)


async def resolve_staff_user_update(
    info: Info, input: StaffUserUpdateInput
) -> StaffUserUpdatePayload:
    principal = info.context.principal
    staff_id = decode_id_of("StaffUser", input.staff_user_id, "staffUserId")
    user, errors = await attempt(
        staff_accounts.update_staff_user(
            info.context.session_factory,
            actor_role=principal.role,
            actor_id=principal.id if principal.role else None,
            staff_user_id=staff_id,
            changes=staff_accounts.StaffUserChanges(
                first_name=input.first_name,
                last_name=input.last_name,
                role=input.role,
                is_active=input.is_active,
                password=input.password,
            ),
        )
    )
    staff_user = await _staff(info, user.id) if user else None
    return StaffUserUpdatePayload(staff_user=staff_user, user_errors=errors)


async def resolve_api_key_create(info: Info, input: ApiKeyCreateInput) -> ApiKeyCreatePayload:
    principal = info.context.principal
    created, errors = await attempt(
        api_keys.create_api_key(
            info.context.session_factory,
            name=input.name,
            scopes=input.scopes,
            created_by_id=principal.id if principal.role else None,
        )
    )
    if created is None:
        return ApiKeyCreatePayload(api_key=None, secret=None, user_errors=errors)
    return ApiKeyCreatePayload(
        api_key=ApiKey.from_row(created.api_key), secret=created.secret, user_errors=[]
    )


async def resolve_api_key_revoke(info: Info, input: ApiKeyRevokeInput) -> ApiKeyRevokePayload:
    key_id = decode_id_of("ApiKey", input.api_key_id, "apiKeyId")
    key, errors = await attempt(api_keys.revoke_api_key(info.context.session_factory, key_id))
    return ApiKeyRevokePayload(api_key=ApiKey.from_row(key) if key else None, user_errors=errors)
