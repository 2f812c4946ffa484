"""Directive and field floods, refused with one error before validation fans out.

graphql-core's validation reports every use of an unknown or repeated directive, so
`{ __typename @aa@aa@aa … }` answers an error per `@aa`: a request multiplies the work
and the answer it costs (graphql-cop's "directive overloading"). Likewise a field
selected 500 times in one selection set (its "field duplication") is merged by the
executor but validated and planned 500 times. Neither has a use: no directive of this
schema is repeatable, and a repeated field answers once. So the parsed document is
checked first, and one error with the figures refuses it; validation then never runs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

from graphql import (
    DirectiveNode,
    DocumentNode,
    FieldNode,
    GraphQLError,
    Node,
    SelectionSetNode,
)
from strawberry.extensions import SchemaExtension

from custgraph.api_errors import ErrorCode


def repetition_error(
    document: DocumentNode, max_directives: int, max_field_repeats: int
) -> GraphQLError | None:
    """The one error refusing `document`'s directive or field flood, or None."""
    used = 0
    for node in _nodes(document):
        directives: tuple[DirectiveNode, ...] = tuple(getattr(node, "directives", None) or ())
        used += len(directives)
        names = Counter(d.name.value for d in directives)
        repeated = next((name for name, count in names.items() if count > 1), None)
        if repeated is not None:
            return GraphQLError(
                f"The directive @{repeated} is repeated in one place; a directive may be "
                "used once per place.",
                nodes=[d for d in directives if d.name.value == repeated][:1],
                extensions={"code": ErrorCode.QUERY_TOO_COMPLEX.value, "directive": repeated},
            )
        if isinstance(node, SelectionSetNode):
            keys = Counter(
                (s.alias or s.name).value for s in node.selections if isinstance(s, FieldNode)
            )
            key, count = max(keys.items(), key=lambda item: item[1], default=("", 0))
            if count > max_field_repeats:
                return GraphQLError(
                    f"`{key}` is selected {count} times in one selection set; at most "
                    f"{max_field_repeats} are allowed (it is answered once).",
                    extensions={
                        "code": ErrorCode.QUERY_TOO_COMPLEX.value,
                        "field": key,
                        "repeats": count,
                        "maxFieldRepeats": max_field_repeats,
                    },
                )
    if used > max_directives:
        return GraphQLError(
            f"The document uses {used} directives; at most {max_directives} are allowed.",
            extensions={
                "code": ErrorCode.QUERY_TOO_COMPLEX.value,
                "directives": used,
                "maxDirectives": max_directives,
            },
        )
    return None


def _nodes(node: Node) -> Iterator[Node]:
    """Every node of the tree, without graphql-core's visitor machinery."""
    stack: list[Any] = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, Node):
            yield item
            stack.extend(getattr(item, key) for key in item.keys if key != "loc")
        elif isinstance(item, tuple | list):
            stack.extend(item)


_SIZE = 256
# id(document) -> (document, limits, outcome): ParserCache hands out one document object
# per query text, kept alive here so that its id is not reused.
_OUTCOMES: dict[int, tuple[DocumentNode, tuple[int, int], GraphQLError | None]] = {}


class RepetitionLimits(SchemaExtension):
    """Runs ahead of validation (listed before the validation cache in the schema)."""

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None:
            settings = context.context.settings
            limits = (settings.max_directives, settings.max_field_repeats)
            known = _OUTCOMES.get(id(document))
            if known is not None and known[0] is document and known[1] == limits:
                error = known[2]
            else:
                error = repetition_error(document, *limits)
                if len(_OUTCOMES) >= _SIZE:
                    _OUTCOMES.clear()
                _OUTCOMES[id(document)] = (document, limits, error)
            if error is not None:
                context.pre_execution_errors = [error]
        yield
