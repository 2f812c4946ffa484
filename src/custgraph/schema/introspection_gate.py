"""Introspection and "Did you mean …" hints only for the callers the settings name.

`introspection_for` is "staff" (signed-in staff users; the default), "all" or
"none". Other callers get `__schema`/`__type` refused before anything runs, and
error messages without the field, argument and type names a hint would reveal.
Anonymous callers never get this far for anything but sign-in (AnonymousGate).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from graphql import BREAK, DocumentNode, FieldNode, GraphQLError, Visitor, visit
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionResult

from custgraph.api_errors import ErrorCode
from custgraph.auth.principal import PrincipalKind

INTROSPECTION_FIELDS = frozenset({"__schema", "__type"})
_SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")


class IntrospectionGate(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is None or not result.errors or self._allowed():
            return
        for error in result.errors:
            error.message = _SUGGESTION.sub("", error.message)

    def on_execute(self) -> Iterator[None]:
        document = self.execution_context.graphql_document
        # An earlier gate's refusal (AnonymousGate's UNAUTHENTICATED) stands.
        refused_already = self.execution_context.result is not None
        if (
            not refused_already
            and document is not None
            and not self._allowed()
            and _asks_introspection(self.execution_context.query or "", document)
        ):
            self.execution_context.result = ExecutionResult(
                data=None,
                errors=[
                    GraphQLError(
                        "Introspection is not available to this caller.",
                        extensions={"code": ErrorCode.FORBIDDEN.value},
                    )
                ],
            )
        yield

    def _allowed(self) -> bool:
        context = self.execution_context.context
        policy = getattr(getattr(context, "settings", None), "introspection_for", "staff")
        if policy == "all":
            return True
        if policy == "none":
            return False
        principal = getattr(context, "principal", None)
        return principal is not None and principal.kind is PrincipalKind.STAFF


class _IntrospectionFinder(Visitor):
    found = False

    def enter_field(self, node: FieldNode, *_: Any) -> Any:
        if node.name.value in INTROSPECTION_FIELDS:
            self.found = True
            return BREAK
        return None


_ASKS: dict[str, bool] = {}  # by query text; cleared when full
_ASKS_SIZE = 256


def _asks_introspection(query: str, document: DocumentNode) -> bool:
    """Whether the document names an introspection field, remembered by query text."""
    asks = _ASKS.get(query)
    if asks is None:
        finder = _IntrospectionFinder()
        visit(document, finder)
        asks = finder.found
        if len(_ASKS) >= _ASKS_SIZE:
            _ASKS.clear()
        _ASKS[query] = asks
    return asks
