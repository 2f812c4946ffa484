"""Anonymous callers may only sign in or complete an emailed link."""

from __future__ import annotations

from collections.abc import Iterator

from graphql import FieldNode, GraphQLError, OperationDefinitionNode, get_operation_ast
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionResult

from custgraph.api_errors import ErrorCode

ANONYMOUS_ROOT_FIELDS = frozenset(
    {
        "staffLogin",
        "customerLogin",
        "customerRegister",
        "customerVerifyEmail",
        "customerRequestPasswordReset",
        "customerResetPassword",
        "__typename",
    }
)


class AnonymousGate(SchemaExtension):
    """Refuses, before anything runs, any other root field from a caller without a token.

    Introspection (`__schema`, `__type`) is refused too: the schema is for signed-in
    callers. Fragments at the root are checked through their selections.
    """

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        principal = getattr(context.context, "principal", None)
        if principal is not None and not principal.is_authenticated:
            document = context.graphql_document
            operation = get_operation_ast(document, context.operation_name) if document else None
            if operation is not None and self._asks_beyond_sign_in(operation, context):
                context.result = ExecutionResult(
                    data=None,
                    errors=[
                        GraphQLError(
                            "Sign in to use this API.",
                            extensions={"code": ErrorCode.UNAUTHENTICATED.value},
                        )
                    ],
                )
        yield

    def _asks_beyond_sign_in(self, operation: OperationDefinitionNode, context: object) -> bool:
        document = getattr(context, "graphql_document", None)
        fragments = {
            d.name.value: d
            for d in (document.definitions if document else ())
            if d.kind == "fragment_definition"
        }
        pending = list(operation.selection_set.selections)
        while pending:
            selection = pending.pop()
            if isinstance(selection, FieldNode):
                if selection.name.value not in ANONYMOUS_ROOT_FIELDS:
                    return True
            elif selection.kind == "inline_fragment":
                pending.extend(selection.selection_set.selections)  # type: ignore[attr-defined]
            elif selection.kind == "fragment_spread":
                fragment = fragments.get(selection.name.value)  # type: ignore[attr-defined]
                if fragment is not None:
                    pending.extend(fragment.selection_set.selections)
        return False
