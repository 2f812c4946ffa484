"""Top-level GraphQL errors with the contract's `extensions.code`."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from graphql import GraphQLError


class ErrorCode(StrEnum):
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    BAD_REQUEST = "BAD_REQUEST"
    QUERY_TOO_DEEP = "QUERY_TOO_DEEP"
    QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX"
    RATE_LIMITED = "RATE_LIMITED"
    INTERNAL = "INTERNAL"


class ApiError(GraphQLError):
    """An error the client is meant to read: a message and a contract code."""

    def __init__(self, code: ErrorCode, message: str, **extensions: Any) -> None:
        super().__init__(message, extensions={"code": code.value, **extensions})


def bad_request(message: str, **extensions: Any) -> ApiError:
    return ApiError(ErrorCode.BAD_REQUEST, message, **extensions)


def not_found(message: str) -> ApiError:
    return ApiError(ErrorCode.NOT_FOUND, message)


def unauthenticated(message: str = "Sign in to use this API.") -> ApiError:
    return ApiError(ErrorCode.UNAUTHENTICATED, message)


def forbidden(message: str) -> ApiError:
    return ApiError(ErrorCode.FORBIDDEN, message)
