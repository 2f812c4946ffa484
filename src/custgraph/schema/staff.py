"""Staff users as other objects reference them (sales reps, authors)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from custgraph.global_id import encode_global_id
from custgraph.schema.node import Node


@strawberry.type(description="A member of staff using the back office.")
class StaffUser(Node):
    db_id: strawberry.Private[int]
    email: str = strawberry.field(description="Work email, used to sign in.")
    first_name: str = strawberry.field(description="First name.")
    last_name: str = strawberry.field(description="Last name.")
    role: str = strawberry.field(description="Role: OWNER, ADMIN, MANAGER, SUPPORT or VIEWER.")
    is_active: bool = strawberry.field(description="False once deactivated.")
    created_at: datetime = strawberry.field(description="When the user was created.")
    last_login_at: datetime | None = strawberry.field(description="Last successful sign-in.")

    @strawberry.field(description="First and last name.")
    def display_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip() or self.email

    @classmethod
    def from_row(cls, row: Any) -> StaffUser:
        return cls(
            id=strawberry.ID(encode_global_id("StaffUser", row.id)),
            db_id=row.id,
            email=row.email,
            first_name=row.first_name,
            last_name=row.last_name,
            role=row.role,
            is_active=row.is_active,
            created_at=row.created_at,
            last_login_at=row.last_login_at,
        )
