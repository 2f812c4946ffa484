"""Per-field permission checks, decided from the principal resolved once per request."""

from __future__ import annotations

from typing import Any

from strawberry.permission import BasePermission, PermissionExtension
from strawberry.types import Info

from custgraph.auth.permissions import Permission
from custgraph.auth.principal import CUSTOMER_SELF_PERMISSIONS


class Needs(BasePermission):
    """The caller holds `permission` (on this customer's data, for a customer principal)."""

    error_extensions = {"code": "FORBIDDEN"}

    def __init__(self, permission: Permission) -> None:
        self.permission = permission
        self.message = f"Requires the `{permission.value}` permission."

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        customer_id = getattr(source, "customer_id", None)
        return may(info, self.permission, customer_id)


def may(info: Info, permission: Permission, customer_id: int | None) -> bool:
    """The per-field decision: the principal's permissions, or a grant for this request."""
    if info.context.principal.can(permission, customer_id):
        return True
    return customer_id in info.context.granted_customer_ids and (
        permission in CUSTOMER_SELF_PERMISSIONS
    )


def needs(permission: Permission) -> PermissionExtension:
    """A field extension that nulls the field with a FORBIDDEN error unless permitted."""
    return PermissionExtension(permissions=[Needs(permission)], use_directives=False)


def requires_text(permission: Permission) -> str:
    return f" Requires `{permission.value}`."
