"""The root Mutation type: one field per admin action, each handing over to `resolvers/`."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from custgraph.resolvers.sign_in import resolve_staff_login
from custgraph.schema.sign_in import StaffLoginInput, StaffLoginPayload


@strawberry.type(description="Every action that changes something.")
class Mutation:
    @strawberry.mutation(description="Sign in as a staff user; returns a bearer token.")
    async def staff_login(self, info: Info, input: StaffLoginInput) -> StaffLoginPayload:
        return await resolve_staff_login(info, input)
