"""Running a domain call and turning its refusal into userErrors."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TypeVar

from custgraph.domain.errors import DomainError
from custgraph.schema.user_errors import UserError, user_error

T = TypeVar("T")


async def attempt(call: Awaitable[T]) -> tuple[T | None, list[UserError]]:
    """(result, []) when the domain function succeeded, (None, [error]) when it refused."""
    try:
        return await call, []
    except DomainError as error:
        return None, [user_error(error)]
