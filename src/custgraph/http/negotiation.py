"""Media types of the GraphQL over HTTP specification."""

from __future__ import annotations

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
JSON = "application/json"


def response_media_type(accept: str | None) -> str | None:
    """The media type to answer in, or None when the client accepts neither.

    A missing Accept header is answered as `application/json`, as the specification
    asks for clients that predate `application/graphql-response+json`.
    """
    if not accept:
        return JSON
    best: tuple[float, str] | None = None
    for part in accept.split(","):
        media, *params = (p.strip() for p in part.split(";"))
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        candidate = {
            GRAPHQL_RESPONSE_JSON: GRAPHQL_RESPONSE_JSON,
            JSON: JSON,
            "application/*": GRAPHQL_RESPONSE_JSON,
            "*/*": JSON,
        }.get(media.lower())
        if candidate is None or quality <= 0:
            continue
        # Prefer the newer media type when the client values both the same.
        rank = quality + (0.001 if candidate == GRAPHQL_RESPONSE_JSON else 0)
        if best is None or rank > best[0]:
            best = (rank, candidate)
    return best[1] if best else None


def wants_html(accept: str | None) -> bool:
    return bool(accept) and "text/html" in (accept or "")
