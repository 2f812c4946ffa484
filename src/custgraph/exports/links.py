"""Signed, expiring download links of export files.

The link carries its expiry and an HMAC of the job id and expiry under the server's
secret key, so any server process can check it without storing it, and a link cannot
be altered to another file or a later time. The download itself needs no bearer token:
a browser can open it, as it would a cloud storage's pre-signed URL.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from custgraph.settings import Settings


def _signature(secret: str, job_id: int, expires: int) -> str:
    message = f"custgraph-export:{job_id}:{expires}".encode()
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def download_link(settings: Settings, job_id: int, now: datetime) -> tuple[str, datetime]:
    """The link to the job's file and when it stops working."""
    expires_at = now.astimezone(UTC) + timedelta(seconds=settings.export_link_seconds)
    expires = int(expires_at.timestamp())
    signature = _signature(settings.secret_key.get_secret_value(), job_id, expires)
    query = urlencode({"expires": expires, "signature": signature})
    base = settings.public_url.rstrip("/")
    return f"{base}/exports/{job_id}?{query}", datetime.fromtimestamp(expires, UTC)


def link_is_valid(
    settings: Settings, job_id: int, expires: str | None, signature: str | None, now: datetime
) -> bool:
    """Whether the link's signature is the server's and its time has not passed."""
    if expires is None or signature is None or not expires.isdigit():
        return False
    wanted = _signature(settings.secret_key.get_secret_value(), job_id, int(expires))
    return hmac.compare_digest(wanted, signature) and int(expires) > now.timestamp()
