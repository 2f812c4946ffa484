"""Sign-in mutations' inputs and payloads."""

from __future__ import annotations

from datetime import datetime

import strawberry

from custgraph.schema.staff import StaffUser
from custgraph.schema.user_errors import UserError


@strawberry.input(description="A staff user's credentials.")
class StaffLoginInput:
    email: str = strawberry.field(description="Work email.")
    password: str = strawberry.field(description="Password.")


@strawberry.type(description="The result of `staffLogin`.")
class StaffLoginPayload:
    token: str | None = strawberry.field(description="Bearer token for `Authorization`.")
    expires_at: datetime | None = strawberry.field(description="When the token stops working.")
    staff_user: StaffUser | None = strawberry.field(description="The signed-in staff user.")
    user_errors: list[UserError] = strawberry.field(description="Why sign-in was refused.")
