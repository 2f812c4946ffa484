"""The permission catalogue and the built-in roles of the API contract."""

from __future__ import annotations

from enum import StrEnum


class Permission(StrEnum):
    CUSTOMERS_READ = "customers:read"
    CUSTOMERS_READ_PII = "customers:read_pii"
    CUSTOMERS_WRITE = "customers:write"
    CUSTOMERS_DELETE = "customers:delete"
    CUSTOMERS_MERGE = "customers:merge"
    CUSTOMERS_ADMIN = "customers:admin"
    ORDERS_READ = "orders:read"
    LOYALTY_READ = "loyalty:read"
    LOYALTY_WRITE = "loyalty:write"
    CREDIT_READ = "credit:read"
    CREDIT_WRITE = "credit:write"
    GIFTCARDS_READ = "giftcards:read"
    GIFTCARDS_WRITE = "giftcards:write"
    NOTES_READ = "notes:read"
    NOTES_WRITE = "notes:write"
    NOTIFICATIONS_SEND = "notifications:send"
    AUDIT_READ = "audit:read"
    STAFF_MANAGE = "staff:manage"
    # Subscribing to the change feed's webhooks (an API key manages only its own).
    WEBHOOKS_MANAGE = "webhooks:manage"


ALL_PERMISSIONS: frozenset[Permission] = frozenset(Permission)

P = Permission
BUILTIN_ROLES: dict[str, frozenset[Permission]] = {
    "OWNER": ALL_PERMISSIONS,
    "ADMIN": ALL_PERMISSIONS,
    "MANAGER": ALL_PERMISSIONS - {P.CUSTOMERS_ADMIN, P.STAFF_MANAGE},
    "SUPPORT": frozenset(
        {
            P.CUSTOMERS_READ,
            P.CUSTOMERS_READ_PII,
            P.CUSTOMERS_WRITE,
            P.ORDERS_READ,
            P.LOYALTY_READ,
            P.CREDIT_READ,
            P.GIFTCARDS_READ,
            P.NOTES_READ,
            P.NOTES_WRITE,
            P.NOTIFICATIONS_SEND,
            P.AUDIT_READ,
        }
    ),
    "VIEWER": frozenset({P.CUSTOMERS_READ, P.ORDERS_READ}),
}

# Only an OWNER may create or change users holding these roles.
PRIVILEGED_ROLES = frozenset({"OWNER", "ADMIN"})
