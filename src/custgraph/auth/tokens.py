"""Signed, expiring bearer tokens for staff users and customers (HS256 JWT)."""

from __future__ import annotations

from collections import OrderedDict
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


# Tokens verified lately, by secret and token text. A console sends the same token with
# every request, and checking its signature measured a few per cent of a detail read;
# expiry is still checked on every use, and whether the session still holds (user
# active, token version) is the database's word on every request (auth/authenticate.py).
_VERIFIED: OrderedDict[tuple[str, str], TokenClaims] = OrderedDict()
VERIFIED_TOKENS_KEPT = 1024


def read_token(secret: str, token: str) -> TokenClaims:
    """Verify signature, algorithm, issuer and expiry; raise InvalidToken otherwise."""
    key = (secret, token)
    claims = _VERIFIED.get(key)
    if claims is None:
        claims = _verify(secret, token)
        _VERIFIED[key] = claims
        if len(_VERIFIED) > VERIFIED_TOKENS_KEPT:
            _VERIFIED.popitem(last=False)
    if claims.expires_at <= datetime.now(UTC):
        _VERIFIED.pop(key, None)
        raise InvalidToken("the token has expired")
    return claims


def _verify(secret: str, token: str) -> TokenClaims:
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
