"""One-time tokens sent by email (verify email, reset password); only hashes are stored."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from custgraph.db.models import ActionToken
from custgraph.domain.errors import DomainError

VERIFY_EMAIL = "VERIFY_EMAIL"
RESET_PASSWORD = "RESET_PASSWORD"
# An invitation to a customer created by staff: choose a first password.
SET_PASSWORD = "SET_PASSWORD"
LIFETIMES = {
    VERIFY_EMAIL: timedelta(hours=48),
    RESET_PASSWORD: timedelta(hours=1),
    SET_PASSWORD: timedelta(days=7),
}


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def issue_action_token(
    session: AsyncSession, customer_id: int, purpose: str, email: str | None
) -> str:
    """A new token for `purpose`; earlier unused tokens of that purpose stop working."""
    now = datetime.now(UTC)
    earlier = await session.scalars(
        select(ActionToken).where(
            ActionToken.customer_id == customer_id,
            ActionToken.purpose == purpose,
            ActionToken.used_at.is_(None),
        )
    )
    for token_row in earlier:
        token_row.used_at = now
    token = secrets.token_urlsafe(32)
    session.add(
        ActionToken(
            customer_id=customer_id,
            purpose=purpose,
            token_hash=_hash(token),
            email=email,
            expires_at=now + LIFETIMES[purpose],
        )
    )
    return token


async def use_action_token(
    session: AsyncSession, token: str, purpose: str, *also: str
) -> ActionToken:
    """The token's row, marked used.

    INVALID_TOKEN when it is unknown, used, expired or made for another purpose.
    """
    row = await session.scalar(
        select(ActionToken).where(ActionToken.token_hash == _hash(token)).with_for_update()
    )
    now = datetime.now(UTC)
    allowed = (purpose, *also)
    if row is None or row.purpose not in allowed or row.used_at is not None or row.expires_at < now:
        raise DomainError("INVALID_TOKEN", "The link is invalid or has expired.", ["token"])
    row.used_at = now
    return row
