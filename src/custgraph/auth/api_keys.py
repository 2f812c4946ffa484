"""Partner API key secrets: generation and hashing. Only the hash is stored."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

PREFIX = "cgk"


@dataclass(frozen=True)
class ApiKeySecret:
    prefix: str
    secret: str  # shown once, never stored

    @property
    def hash(self) -> str:
        return hash_secret(self.secret)


def new_api_key_secret() -> ApiKeySecret:
    prefix = secrets.token_hex(6)
    return ApiKeySecret(prefix=prefix, secret=f"{PREFIX}_{prefix}_{secrets.token_hex(32)}")


def hash_secret(secret: str) -> str:
    # A plain SHA-256 suffices: the secret has 256 bits of entropy, nothing to brute-force.
    return hashlib.sha256(secret.encode()).hexdigest()


def split_api_key(token: str) -> str | None:
    """The lookup prefix of a well-formed key, or None."""
    parts = token.split("_")
    if len(parts) != 3 or parts[0] != PREFIX or len(parts[1]) != 12:
        return None
    return parts[1]


def secret_matches(stored_hash: str, token: str) -> bool:
    return hmac.compare_digest(stored_hash, hash_secret(token))
