"""Signed, expiring bearer tokens for staff users and customers (HS256 JWT)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

import jwt

TokenKind = Literal["staff", "customer"]
ALGORITHM = "HS256"
ISSUER = "custgraph"


class InvalidToken(Exception):
    """Malformed, expired, badly signed, or of the wrong kind."""


@dataclass(frozen=True)
class TokenClaims:
    kind: TokenKind
    subject_id: int
    token_version: int
    expires_at: datetime


def issue_token(
    secret: str, kind: TokenKind, subject_id: int, token_version: int, ttl: timedelta
) -> tuple[str, datetime]:
    now = datetime.now(UTC)
    expires_at = now + ttl
    payload = {
        "iss": ISSUER,
        "typ": kind,
        "sub": str(subject_id),
        "ver": token_version,
        "iat": int(now.timestamp()),
        "exp": int(expires_at.timestamp()),
    }
    return jwt.encode(payload, secret, algorithm=ALGORITHM), expires_at


def read_token(secret: str, token: str) -> TokenClaims:
    """Verify signature, algorithm, issuer and expiry; raise InvalidToken otherwise."""
    try:
        payload = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],  # never "none", never what the header claims
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "typ", "ver", "iss"]},
        )
        kind = payload["typ"]
        if kind not in ("staff", "customer"):
            raise InvalidToken("unknown token kind")
        return TokenClaims(
            kind=kind,
            subject_id=int(payload["sub"]),
            token_version=int(payload["ver"]),
            expires_at=datetime.fromtimestamp(int(payload["exp"]), UTC),
        )
    except (jwt.PyJWTError, ValueError, TypeError, KeyError) as error:
        raise InvalidToken(str(error)) from error


def looks_like_jwt(token: str) -> bool:
    return token.count(".") == 2
