"""Who may call each mutation, declared on its field: checked before its resolver runs and
written into its description from the same declaration, so the two cannot drift apart.
The customer read roots declare theirs the same way (`root_read`).

Every mutation is declared with `mutation(requires=…)`; tests/schema/test_mutation_access.py
fails for a Mutation field declared any other way.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any

import strawberry
from strawberry.extensions.field_extension import FieldExtension
from strawberry.types import Info
from strawberry.types.field import StrawberryField

from custgraph.auth.permissions import Permission
from custgraph.global_id import decode_id_of
from custgraph.resolvers.access import require, require_on_customer, signed_in

REQUIRES_PLACE = "{requires}"


class OwnRecord(Enum):
    """Whether a customer principal may do it on their own record without the permission."""

    NO = "no"
    # The customer the input's `customerId` names: anyone else's is answered NOT_FOUND.
    BY_CUSTOMER_ID = "by customer id"
    # A customer passes here; the resolver checks the row (an address) is theirs.
    BY_ROW = "by row"


@dataclass(frozen=True)
class Access:
    """`permission` None: anyone (`signed_in` False) or any signed-in caller, the resolver
    deciding the rest (a job's own permissions, say)."""

    permission: Permission | None
    own_record: OwnRecord = OwnRecord.NO
    signed_in: bool = True

    def describe(self, description: str) -> str:
        """The description with the permission named where it says {requires}, else at
        the end."""
        if self.permission is None:
            return description
        text = f"Requires `{self.permission.value}`"
        if REQUIRES_PLACE in description:
            return description.replace(REQUIRES_PLACE, text)
        return f"{description} {text}."

    def check(self, info: Info, input: Any) -> None:
        permission = self.permission
        if permission is None:
            if self.signed_in:
                signed_in(info)
            return
        match self.own_record:
            case OwnRecord.NO:
                require(info, permission)
            case OwnRecord.BY_CUSTOMER_ID:
                customer_id = decode_id_of("Customer", input.customer_id, "customerId")
                require_on_customer(info, permission, customer_id)
            case OwnRecord.BY_ROW:
                if signed_in(info).customer_id is None:
                    require(info, permission)


PUBLIC = Access(None, signed_in=False)
SIGNED_IN = Access(None)


class MutationAccess(FieldExtension):
    def __init__(self, access: Access) -> None:
        self.access = access

    async def resolve_async(
        self, next_: Callable[..., Awaitable[Any]], source: Any, info: Info, **kwargs: Any
    ) -> Any:
        self.access.check(info, kwargs.get("input"))
        return await next_(source, info, **kwargs)


def mutation(*, requires: Permission | Access, description: str) -> Any:
    """`strawberry.mutation` with its access declared: a permission held on all customers,
    or an `Access`."""
    access = requires if isinstance(requires, Access) else Access(requires)
    return strawberry.mutation(
        description=access.describe(description), extensions=[MutationAccess(access)]
    )


def root_read(*, requires: Permission | Access, description: str) -> Any:
    """`strawberry.field` for a root query field, with its access declared and checked as
    a mutation's. The compiled read path takes the permission from here too. The
    permission is written into the description where it says {requires}; elsewhere the
    description is left as written (the SDL of `customer` and `customers` names none)."""
    access = requires if isinstance(requires, Access) else Access(requires)
    if REQUIRES_PLACE in description:
        description = access.describe(description)
    return strawberry.field(description=description, extensions=[MutationAccess(access)])


def access_of(field: StrawberryField) -> Access | None:
    """The access a field was declared with, None for a field made by neither `mutation`
    nor `root_read`."""
    for extension in field.extensions:
        if isinstance(extension, MutationAccess):
            return extension.access
    return None
