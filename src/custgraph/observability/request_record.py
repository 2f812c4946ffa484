"""What the GraphQL endpoint learns about a request, for the metrics and the log."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from starlette.types import Scope
from strawberry.types import ExecutionResult

_SCOPE_KEY = "custgraph.request_record"
# The first named operation of a document, for requests that send no operationName.
_FIRST_OPERATION = re.compile(r"\b(?:query|mutation|subscription)\s+([A-Za-z_][A-Za-z0-9_]*)")
# Insignificant to GraphQL: whitespace, commas, a byte order mark and comments.
_IGNORED = r"(?:[\s,\ufeff]|#[^\n\r]*)"
_ANONYMOUS_OPERATION = re.compile(_IGNORED + r"*(?:(query|mutation|subscription)\b|(?=\{))")

OK = "ok"
USER_ERROR = "user_error"


@dataclass
class RequestRecord:
    operation: str | None = None
    operation_type: str | None = None  # query, mutation or subscription, when the text says
    outcome: str | None = None  # ok, user_error, or the first error's contract code
    principal_key: str | None = None
    statements: int = 0
    status: int = 500  # the HTTP status, once an answer starts
    compiled: bool = False  # answered by the compiled read path
    budget_wait_seconds: float | None = None  # waited this long for the execution budget


def start_record(scope: Scope) -> RequestRecord:
    record = RequestRecord()
    scope.setdefault("state", {})[_SCOPE_KEY] = record
    return record


def record_of(scope: Scope) -> RequestRecord:
    """This request's record; a detached one when nothing observes the request."""
    record = scope.get("state", {}).get(_SCOPE_KEY)
    return record if isinstance(record, RequestRecord) else RequestRecord()


def operation_name(query: str, given: str | None) -> str | None:
    if given:
        return given
    match = _FIRST_OPERATION.search(query)
    return match.group(1) if match else None


def operation_type(query: str | None, name: str | None) -> str | None:
    """`query`, `mutation` or `subscription`: of the operation `name`, else of the
    document's anonymous operation; None when the document does not say."""
    if query is None:
        return None
    if name is None:
        anonymous = _ANONYMOUS_OPERATION.match(query)
        return (anonymous.group(1) or "query") if anonymous else None
    named = re.search(rf"\b(query|mutation|subscription){_IGNORED}+{re.escape(name)}\b", query)
    return named.group(1) if named else None


def outcome_of(result: ExecutionResult) -> str:
    if result.errors:
        extensions = result.errors[0].extensions or {}
        return str(extensions.get("code", "BAD_REQUEST"))
    if isinstance(result.data, dict) and any(
        _has_user_errors(value) for value in result.data.values()
    ):
        return USER_ERROR
    return OK


def _has_user_errors(payload: Any) -> bool:
    return isinstance(payload, dict) and bool(payload.get("userErrors"))
