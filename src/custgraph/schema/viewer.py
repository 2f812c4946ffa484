"""Who is calling."""

from __future__ import annotations

from enum import Enum

import strawberry
from strawberry.types import Info

from custgraph.auth.principal import PrincipalKind as PrincipalKindValue
from custgraph.schema.customer import Customer
from custgraph.schema.staff import StaffUser


@strawberry.enum(description="Kind of caller.")
class PrincipalKind(Enum):
    ANONYMOUS = strawberry.enum_value("ANONYMOUS", description="Not signed in.")
    STAFF = strawberry.enum_value("STAFF", description="A staff user with a role.")
    API_KEY = strawberry.enum_value("API_KEY", description="A partner integration's key.")
    CUSTOMER = strawberry.enum_value("CUSTOMER", description="A customer (mobile app).")


@strawberry.type(description="The caller of this request and what they may do.")
class Viewer:
    kind: PrincipalKind = strawberry.field(description="Staff user, API key or customer.")
    name: str = strawberry.field(description="Who the caller is, for display.")
    role: str | None = strawberry.field(description="The staff user's role.")
    permissions: list[str] = strawberry.field(
        description="Permission strings held (a customer's apply to its own record only)."
    )
    principal_id: strawberry.Private[int | None]

    @strawberry.field(description="The signed-in staff user.")
    async def staff_user(self, info: Info) -> StaffUser | None:
        if self.kind is not PrincipalKind.STAFF or self.principal_id is None:
            return None
        row = await info.context.loaders.staff_user.load(self.principal_id)
        return StaffUser.from_row(row) if row else None

    @strawberry.field(description="The signed-in customer's own record.")
    async def customer(self, info: Info) -> Customer | None:
        if self.kind is not PrincipalKind.CUSTOMER or self.principal_id is None:
            return None
        row = await info.context.loaders.customer.load(self.principal_id)
        return Customer.from_row(row, info.context.settings.currency) if row else None


def viewer_kind(kind: PrincipalKindValue) -> PrincipalKind:
    return PrincipalKind(kind.value)
