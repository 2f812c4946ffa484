"""`userErrors`: what a mutation refused, on which input field, and why."""

from __future__ import annotations

from enum import Enum

import strawberry

from custgraph.domain.errors import DomainError


@strawberry.enum(description="Why a mutation refused its input.")
class UserErrorCode(Enum):
    INVALID = strawberry.enum_value("INVALID", description="The value is not acceptable.")
    REQUIRED = strawberry.enum_value("REQUIRED", description="A value is required.")
    TOO_LONG = strawberry.enum_value("TOO_LONG", description="The value is too long.")
    TAKEN = strawberry.enum_value("TAKEN", description="The value is already in use.")
    NOT_FOUND = strawberry.enum_value("NOT_FOUND", description="What it names does not exist.")
    CONFLICT = strawberry.enum_value(
        "CONFLICT", description="`expectedVersion` is stale; reload and retry."
    )
    IDEMPOTENCY_KEY_REUSED = strawberry.enum_value(
        "IDEMPOTENCY_KEY_REUSED", description="The idempotency key was used with other input."
    )
    HAS_ORDERS = strawberry.enum_value(
        "HAS_ORDERS", description="The customer has orders; block or erase instead."
    )
    INVALID_CREDENTIALS = strawberry.enum_value(
        "INVALID_CREDENTIALS", description="Email or password is wrong."
    )
    PASSWORD_TOO_SHORT = strawberry.enum_value(
        "PASSWORD_TOO_SHORT", description="The password is too short."
    )
    INSUFFICIENT_BALANCE = strawberry.enum_value(
        "INSUFFICIENT_BALANCE", description="The balance would fall below zero."
    )
    INVALID_TRANSITION = strawberry.enum_value(
        "INVALID_TRANSITION", description="The status cannot move that way."
    )
    TOO_MANY_ATTEMPTS = strawberry.enum_value(
        "TOO_MANY_ATTEMPTS", description="Too many failed attempts; wait and retry."
    )
    INVALID_TOKEN = strawberry.enum_value(
        "INVALID_TOKEN", description="The link or token is invalid, used or expired."
    )
    NOT_ALLOWED = strawberry.enum_value(
        "NOT_ALLOWED", description="The rules do not allow this action here."
    )


@strawberry.type(description="A reason a mutation refused its input; nothing was written.")
class UserError:
    field: list[str] | None = strawberry.field(description="Path to the input field at fault.")
    message: str = strawberry.field(description="What is wrong, for people.")
    code: UserErrorCode = strawberry.field(description="What is wrong, for programs.")


def user_error(error: DomainError) -> UserError:
    return UserError(field=error.field, message=error.message, code=UserErrorCode(error.code))
