"""Slowing down password guessing, per account and per client address."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from custgraph.db.models import SignInFailure
from custgraph.domain.errors import DomainError

WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_ADDRESS = 30


def throttle_keys(realm: str, email: str, client_address: str | None) -> list[str]:
    keys = [f"{realm}:email:{email.strip().lower()}"]
    if client_address:
        keys.append(f"{realm}:address:{client_address}")
    return keys


async def refuse_when_throttled(session: AsyncSession, keys: list[str]) -> None:
    """TOO_MANY_ATTEMPTS when an account or an address failed too often lately.

    Checked before the password, so a throttled guess costs no argon2 time and tells
    nothing; unknown emails are throttled the same as known ones.
    """
    since = datetime.now(UTC) - WINDOW
    rows = await session.execute(
        select(SignInFailure.key, func.count())
        .where(SignInFailure.key.in_(keys), SignInFailure.created_at >= since)
        .group_by(SignInFailure.key)
    )
    for key, failures in rows:
        limit = MAX_FAILURES_PER_ADDRESS if ":address:" in key else MAX_FAILURES_PER_ACCOUNT
        if failures >= limit:
            raise DomainError(
                "TOO_MANY_ATTEMPTS",
                "Too many failed sign-ins; wait a few minutes and try again.",
                ["email"],
            )


async def record_failure(sessions: async_sessionmaker[AsyncSession], keys: list[str]) -> None:
    """Remember a failure in a transaction of its own (the sign-in itself writes nothing)."""
    now = datetime.now(UTC)
    async with sessions.begin() as session:
        await session.execute(
            delete(SignInFailure).where(
                SignInFailure.key.in_(keys), SignInFailure.created_at < now - WINDOW
            )
        )
        session.add_all(SignInFailure(key=key, created_at=now) for key in keys)


async def forget_failures(session: AsyncSession, keys: list[str]) -> None:
    """After a success the account's count starts again (the address's does not)."""
    await session.execute(
        delete(SignInFailure).where(SignInFailure.key.in_([k for k in keys if ":email:" in k]))
    )
