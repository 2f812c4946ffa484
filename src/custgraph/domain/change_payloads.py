"""A change of the feed as partners and readers see it: the values each reader's
permissions let it read, and the payload webhooks and the broker carry."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from custgraph.auth.permissions import Permission
from custgraph.db.models import CustomerChange
from custgraph.global_id import encode_global_id

# Fields whose values a change carries, with the permission that reads them; every
# other field (names, email, phone, dates of birth, ID documents, addresses, notes…)
# travels by name only.
VALUE_PERMISSIONS: dict[str, Permission] = {
    "status": Permission.CUSTOMERS_READ,
    "emailVerified": Permission.CUSTOMERS_READ,
    "tags": Permission.CUSTOMERS_READ,
    "priceList": Permission.CUSTOMERS_READ,
    "discountGroup": Permission.CUSTOMERS_READ,
    "branch": Permission.CUSTOMERS_READ,
    "department": Permission.CUSTOMERS_READ,
    "paymentTerms": Permission.CUSTOMERS_READ,
    "creditLimit": Permission.CUSTOMERS_READ,
    "commissionReducedPercent": Permission.CUSTOMERS_READ,
    "externalId": Permission.CUSTOMERS_READ,
    "accountNumber": Permission.CUSTOMERS_READ,
    "locale": Permission.CUSTOMERS_READ,
    "mergedInto": Permission.CUSTOMERS_READ,
    "level": Permission.LOYALTY_READ,
    "pointsBalance": Permission.LOYALTY_READ,
    "creditBalance": Permission.CREDIT_READ,
}


def visible_details(details: dict[str, Any], can: Any) -> dict[str, Any]:
    """The values of `details` that a reader with permission test `can` may see."""
    return {
        name: value
        for name, value in details.items()
        if name in VALUE_PERMISSIONS and can(VALUE_PERMISSIONS[name])
    }


def change_payload(change: CustomerChange, details: dict[str, Any] | None = None) -> dict[str, Any]:
    """A change as partners receive it (webhooks, the broker), in the API's names.

    `sequence` is its place in the feed; `customerVersion` is null for a deletion;
    `details` (all the change keeps, unless a reader's share is given) maps a field to
    `{"old": …, "new": …}`.
    """
    return {
        "sequence": change.sequence,
        "type": change.type,
        "customerId": encode_global_id("Customer", change.customer_id),
        "customerVersion": change.customer_version,
        "fields": list(change.fields or ()),
        "details": dict(change.details or {}) if details is None else details,
        "occurredAt": change.occurred_at.astimezone(UTC).isoformat(),
    }
