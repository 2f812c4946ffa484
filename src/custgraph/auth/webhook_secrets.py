"""Webhook signing secrets: derived, never stored.

A subscription stores a random salt (`secrets.token_hex`); its signing secret is
HMAC-SHA256(CUSTGRAPH_SECRET_KEY, purpose + salt), shown to the subscriber once, at
creation (and on rotation). The worker derives it again to sign each attempt. So the
database alone (a backup, a replica, a leaked dump) holds nothing that signs a webhook,
and no extra key has to be managed. The price: changing CUSTGRAPH_SECRET_KEY changes
every webhook secret (rotate each subscription's secret after such a change).

Subscribers sign with the secret exactly as shown, its UTF-8 bytes as the HMAC key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

SECRET_PREFIX = "whsec_"
SALT_BYTES = 16
# Keeps these keys apart from anything else derived from the same secret key.
_PURPOSE = b"custgraph webhook signing secret v1\x00"


def new_secret_salt() -> str:
    """A fresh random salt for a subscription's secret (32 hex digits)."""
    return secrets.token_hex(SALT_BYTES)


def signing_secret(secret_key: str, salt: str) -> str:
    """The subscription's signing secret: `whsec_` and 43 URL-safe base64 characters."""
    digest = hmac.new(secret_key.encode(), _PURPOSE + salt.encode(), hashlib.sha256).digest()
    return SECRET_PREFIX + base64.urlsafe_b64encode(digest).decode().rstrip("=")
