"""Checks made at the root of the graph, before anything is read."""

from __future__ import annotations

from strawberry.types import Info

from custgraph.api_errors import forbidden, not_found, unauthenticated
from custgraph.auth.permissions import Permission
from custgraph.auth.principal import Principal, PrincipalKind
from custgraph.domain.caller import Caller


def signed_in(info: Info) -> Principal:
    principal: Principal = info.context.principal
    if not principal.is_authenticated:
        raise unauthenticated()
    return principal


def require(info: Info, permission: Permission) -> Principal:
    """The caller holds `permission` on all customers (staff or API key)."""
    principal = signed_in(info)
    if not principal.can(permission):
        raise forbidden(f"Requires the `{permission.value}` permission.")
    return principal


def require_on_customer(
    info: Info, permission: Permission, customer_id: int, what: str = "Customer"
) -> None:
    """The caller holds `permission` on this customer's data.

    A customer asking about anyone else learns nothing, not even that the record
    exists: the answer is the same NOT_FOUND as for an unknown id.
    """
    principal = signed_in(info)
    if principal.can(permission, customer_id):
        return
    if principal.kind is PrincipalKind.CUSTOMER:
        raise not_found(f"{what} not found.")
    raise forbidden(f"Requires the `{permission.value}` permission.")


def caller_of(info: Info) -> Caller:
    """The caller as domain functions record it: actor, idempotency scope, request id."""
    return Caller.of(info.context.principal, info.context.request_id)
