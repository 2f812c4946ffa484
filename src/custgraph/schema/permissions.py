"""Per-field permission checks, decided from the principal resolved once per request."""

from __future__ import annotations

from typing import Any

from strawberry.permission import BasePermission, PermissionExtension
from strawberry.types import Info

from custgraph.auth.permissions import Permission


class Needs(BasePermission):
    """The caller holds `permission` (on this customer's data, for a customer principal)."""

    error_extensions = {"code": "FORBIDDEN"}

    def __init__(self, permission: Permission) -> None:
        self.permission = permission
        self.message = f"Requires the `{permission.value}` permission."

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        principal = info.context.principal
        customer_id = getattr(source, "customer_id", None)
        return bool(principal.can(self.permission, customer_id))


def needs(permission: Permission) -> PermissionExtension:
    """A field extension that nulls the field with a FORBIDDEN error unless permitted."""
    return PermissionExtension(permissions=[Needs(permission)], use_directives=False)


def requires_text(permission: Permission) -> str:
    return f" Requires `{permission.value}`."
