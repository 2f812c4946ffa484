"""Sign-in mutations."""

from __future__ import annotations

from strawberry.types import Info

from custgraph.domain.errors import DomainError
from custgraph.domain.staff_accounts import staff_login
from custgraph.schema.sign_in import StaffLoginInput, StaffLoginPayload
from custgraph.schema.staff import StaffUser
from custgraph.schema.user_errors import user_error


async def resolve_staff_login(info: Info, input: StaffLoginInput) -> StaffLoginPayload:
    context = info.context
    try:
        signed_in = await staff_login(
            context.session_factory,
            context.settings.secret_key.get_secret_value(),
            email=input.email,
            password=input.password,
        )
    except DomainError as error:
        return StaffLoginPayload(
            token=None, expires_at=None, staff_user=None, user_errors=[user_error(error)]
        )
    row = await context.loaders.staff_user.load(signed_in.subject_id)
    return StaffLoginPayload(
        token=signed_in.token,
        expires_at=signed_in.expires_at,
        staff_user=StaffUser.from_row(row) if row else None,
        user_errors=[],
    )
