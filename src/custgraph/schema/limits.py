"""Depth, alias and token limits, refused with the contract codes before anything runs."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import Any

from graphql import (
    ASTValidationRule,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
)
from strawberry.extensions import SchemaExtension
from strawberry.extensions.max_aliases import count_fields_with_alias
from strawberry.extensions.max_aliases import create_validator as aliases_validator
from strawberry.extensions.query_depth_limiter import create_validator as depth_validator
from strawberry.types import ExecutionResult

from custgraph.api_errors import ErrorCode
from custgraph.schema.nul_strings import NoNulInStrings

Figures = Callable[[ValidationContext], dict[str, Any]]


class _CodedContext:
    """What a shipped validator reports through: its first error gets a code and figures."""

    def __init__(self, context: ValidationContext, figures: Figures) -> None:
        self._context = context
        self._figures = figures
        self._reported = False

    def report_error(self, error: GraphQLError) -> None:
        if self._reported:  # the depth limiter reports every deep branch; one is enough
            return
        self._reported = True
        error.extensions = {**(error.extensions or {}), **self._figures(self._context)}
        self._context.report_error(error)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._context, name)


def _coded(shipped: type[ASTValidationRule], figures: Figures) -> type[ValidationRule]:
    class CodedRule(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            shipped(_CodedContext(context, figures))  # type: ignore[arg-type]
            super().__init__(context)

    return CodedRule


@lru_cache(maxsize=8)
def limit_rules(max_depth: int, max_aliases: int) -> tuple[type[ValidationRule], ...]:
    """Strawberry's depth and alias validators, their errors carrying the contract codes.

    Cached so the same settings give the same rule classes and ValidationCache still hits.
    """
    return (
        _coded(
            depth_validator(max_depth, None),
            lambda c: {
                "code": ErrorCode.QUERY_TOO_DEEP.value,
                "depth": document_depth(c.document),
                "maxDepth": max_depth,
            },
        ),
        _coded(
            aliases_validator(max_aliases),
            lambda c: {
                "code": ErrorCode.QUERY_TOO_COMPLEX.value,
                "aliases": _alias_count(c.document),
                "maxAliases": max_aliases,
            },
        ),
    )


def document_depth(document: DocumentNode) -> int:
    """The deepest nesting of fields with selections, counted as the depth limiter does."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }

    def depth(selection_set: SelectionSetNode, seen: frozenset[str]) -> int:
        deepest = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                if selection.selection_set and not selection.name.value.startswith("__"):
                    deepest = max(deepest, 1 + depth(selection.selection_set, seen))
            elif isinstance(selection, InlineFragmentNode):
                deepest = max(deepest, depth(selection.selection_set, seen))
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if name in fragments and name not in seen:
                    deepest = max(deepest, depth(fragments[name].selection_set, seen | {name}))
        return deepest

    return max(
        (
            depth(d.selection_set, frozenset())
            for d in document.definitions
            if isinstance(d, OperationDefinitionNode)
        ),
        default=0,
    )


def _alias_count(document: DocumentNode) -> int:
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    return sum(
        count_fields_with_alias(d, fragments)
        for d in document.definitions
        if isinstance(d, OperationDefinitionNode)
    )


class QueryLimits(SchemaExtension):
    """Applies the configured depth, alias and token limits to each operation.

    Depth and aliases are validation rules; the token limit stops the parser (its error
    is given its code by `mark_token_limit`).
    """

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        settings = context.context.settings
        context.parse_options["max_tokens"] = settings.max_tokens
        context.validation_rules = (
            context.validation_rules
            + limit_rules(settings.max_query_depth, settings.max_aliases)
            + (NoNulInStrings,)
        )
        yield


def mark_token_limit(result: ExecutionResult, max_tokens: int) -> None:
    """Give the parser's token-limit error QUERY_TOO_COMPLEX.

    The parse runs in ParserCache's hook, so its error leaves the operation before any
    extension sees the result: the schema calls this on what `execute` returns.
    """
    for error in result.errors or ():
        if "tokens. Parsing aborted" in error.message and error.path is None:
            error.extensions = {
                **(error.extensions or {}),
                "code": ErrorCode.QUERY_TOO_COMPLEX.value,
                "maxTokens": max_tokens,
            }
