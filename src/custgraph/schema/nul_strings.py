"""No NUL characters in the document's string values.

The endpoint refuses a request whose text or variables hold a NUL (`http/graphql_endpoint.py`),
but a GraphQL string literal can write one as the escape `\\u0000`: the text holds none, the
parsed value does, and PostgreSQL cannot store it (it failed a sign-in with a 500). No field
of ours accepts one, so the document is refused while it is validated.
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError, StringValueNode, ValidationRule

MESSAGE = "The request holds a NUL character, which no field accepts."


class NoNulInStrings(ValidationRule):
    def enter_string_value(self, node: StringValueNode, *_args: Any) -> None:
        if "\x00" in node.value:
            self.report_error(GraphQLError(MESSAGE, node))
