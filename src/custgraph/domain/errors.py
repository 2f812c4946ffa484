"""The one error type domain functions raise; the GraphQL layer maps it to a userError."""

from __future__ import annotations

from collections.abc import Sequence


class DomainError(Exception):
    """A rule refused the action. Nothing has been written when this is raised."""

    def __init__(self, code: str, message: str, field: Sequence[str] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = list(field) if field is not None else None
