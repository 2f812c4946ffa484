"""Who is calling, resolved once per request, and what they may do."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property

from custgraph.auth.permissions import Permission


class PrincipalKind(StrEnum):
    ANONYMOUS = "ANONYMOUS"
    STAFF = "STAFF"
    API_KEY = "API_KEY"
    CUSTOMER = "CUSTOMER"


# What a signed-in customer may do on its own record (and nothing on anyone else's).
# customers:write lets the domain decide which fields a customer may change itself.
CUSTOMER_SELF_PERMISSIONS: frozenset[Permission] = frozenset(
    {
        Permission.CUSTOMERS_READ,
        Permission.CUSTOMERS_WRITE,
        Permission.CUSTOMERS_READ_PII,
        Permission.ORDERS_READ,
        Permission.LOYALTY_READ,
        Permission.CREDIT_READ,
        Permission.GIFTCARDS_READ,
    }
)


@dataclass(frozen=True)
class Principal:
    kind: PrincipalKind
    id: int | None = None
    label: str = "anonymous"
    role: str | None = None
    permissions: frozenset[Permission] = field(default_factory=frozenset)
    client_address: str | None = None

    @property
    def is_authenticated(self) -> bool:
        return self.kind is not PrincipalKind.ANONYMOUS

    @property
    def customer_id(self) -> int | None:
        return self.id if self.kind is PrincipalKind.CUSTOMER else None

    def can(self, permission: Permission, customer_id: int | None = None) -> bool:
        """Whether this caller holds `permission`, on `customer_id`'s data where given.

        A customer holds its self permissions on its own record only; staff and keys
        hold theirs on every customer.
        """
        if self.kind is PrincipalKind.CUSTOMER:
            return (
                customer_id is not None
                and customer_id == self.id
                and (permission in CUSTOMER_SELF_PERMISSIONS)
            )
        return permission in self.permissions

    @cached_property
    def key(self) -> str:
        """A stable identifier for per-caller records (idempotency, rate limits). Kept:
        a remembered session's principal serves many requests, each asking several times."""
        if self.kind is PrincipalKind.ANONYMOUS:
            return f"anon:{self.client_address or '-'}"
        return f"{self.kind.value.lower()}:{self.id}"


ANONYMOUS = Principal(kind=PrincipalKind.ANONYMOUS)
