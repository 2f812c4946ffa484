"""Managing staff users and partner API keys (`staff:manage`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from custgraph.global_id import encode_global_id
from custgraph.schema.node import Node
from custgraph.schema.staff import StaffUser
from custgraph.schema.user_errors import UserError


@strawberry.type(description="A partner integration's API key (its secret is never shown again).")
class ApiKey(Node):
    name: str = strawberry.field(description="The integration using the key.")
    prefix: str = strawberry.field(description="Public part of the key, to recognise it.")
    scopes: list[str] = strawberry.field(description="Permissions the key holds.")
    created_at: datetime = strawberry.field(description="When the key was created.")
    last_used_at: datetime | None = strawberry.field(
        description="Last request made with the key (to the minute)."
    )
    revoked_at: datetime | None = strawberry.field(description="When the key was revoked.")

    @classmethod
    def from_row(cls, row: Any) -> ApiKey:
        return cls(
            id=strawberry.ID(encode_global_id("ApiKey", row.id)),
            name=row.name,
            prefix=row.prefix,
            scopes=list(row.scopes),
            created_at=row.created_at,
            last_used_at=row.last_used_at,
            revoked_at=row.revoked_at,
        )


@strawberry.input(description="A new staff user.")
class StaffUserCreateInput:
    email: str = strawberry.field(description="Work email, used to sign in.")
    role: str = strawberry.field(description="OWNER, ADMIN, MANAGER, SUPPORT or VIEWER.")
    password: str | None = strawberry.field(
        default=None, description="Initial password; without one the user cannot sign in yet."
    )
    first_name: str = strawberry.field(default="", description="First name.")
    last_name: str = strawberry.field(default="", description="Last name.")


@strawberry.type(description="The result of `staffUserCreate`.")
class StaffUserCreatePayload:
    staff_user: StaffUser | None = strawberry.field(description="The new staff user.")
    user_errors: list[UserError] = strawberry.field(description="Why creation was refused.")


@strawberry.input(description="Changes to a staff user; omitted fields stay as they are.")
class StaffUserUpdateInput:
    staff_user_id: strawberry.ID = strawberry.field(description="The staff user to change.")
    first_name: str | None = strawberry.field(default=None, description="First name.")
    last_name: str | None = strawberry.field(default=None, description="Last name.")
    role: str | None = strawberry.field(default=None, description="New role.")
    is_active: bool | None = strawberry.field(
        default=None, description="False deactivates the user and ends their sessions."
    )
    password: str | None = strawberry.field(
        default=None, description="New password; ends the user's sessions."
    )


@strawberry.type(description="The result of `staffUserUpdate`.")
class StaffUserUpdatePayload:
    staff_user: StaffUser | None = strawberry.field(description="The changed staff user.")
    user_errors: list[UserError] = strawberry.field(description="Why the change was refused.")


@strawberry.input(description="A new API key for a partner integration.")
class ApiKeyCreateInput:
    name: str = strawberry.field(description="The integration using the key.")
    scopes: list[str] = strawberry.field(description="Permission strings the key holds.")


@strawberry.type(description="The result of `apiKeyCreate`.")
class ApiKeyCreatePayload:
    api_key: ApiKey | None = strawberry.field(description="The new key.")
    secret: str | None = strawberry.field(
        description="The key to send as `Authorization: Bearer …`; shown this once only."
    )
    user_errors: list[UserError] = strawberry.field(description="Why creation was refused.")


@strawberry.input(description="The API key to revoke.")
class ApiKeyRevokeInput:
    api_key_id: strawberry.ID = strawberry.field(description="The key to revoke.")


@strawberry.type(description="The result of `apiKeyRevoke`.")
class ApiKeyRevokePayload:
    api_key: ApiKey | None = strawberry.field(description="The revoked key.")
    user_errors: list[UserError] = strawberry.field(description="Why revocation was refused.")
