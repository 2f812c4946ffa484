"""Staff users: creation and sign-in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from custgraph.auth.passwords import hash_password, verify_password
from custgraph.auth.tokens import issue_token
from custgraph.db.models import Role, StaffUser
from custgraph.domain.errors import DomainError
from custgraph.domain.validation import checked_password, normalized_email

STAFF_TOKEN_TTL = timedelta(hours=12)


@dataclass(frozen=True)
class SignedIn:
    token: str
    expires_at: datetime
    subject_id: int


async def create_staff_user(
    sessions: async_sessionmaker[AsyncSession],
    *,
    email: str,
    role: str,
    password: str | None,
    first_name: str = "",
    last_name: str = "",
) -> StaffUser:
    """Create a staff user with `role`; without a password the user cannot sign in yet."""
    address = normalized_email(email)
    if password is not None:
        checked_password(password)
    async with sessions.begin() as session:
        if await session.get(Role, role) is None:
            raise DomainError("INVALID", f"Unknown role {role}.", ["role"])
        taken = await session.scalar(
            select(StaffUser.id).where(func.lower(StaffUser.email) == address.lower())
        )
        if taken is not None:
            raise DomainError("TAKEN", "A staff user with this email exists.", ["email"])
        user = StaffUser(
            email=address,
            role=role,
            first_name=first_name,
            last_name=last_name,
            password_hash=hash_password(password) if password is not None else None,
        )
        session.add(user)
    return user


async def staff_login(
    sessions: async_sessionmaker[AsyncSession], secret: str, *, email: str, password: str
) -> SignedIn:
    """A token for a staff user's email and password.

    Every failure gives the same INVALID_CREDENTIALS, and a missing account costs the
    same argon2 verification as a wrong password, so the answer never tells whether
    an email is registered.
    """
    async with sessions.begin() as session:
        user = await session.scalar(
            select(StaffUser).where(func.lower(StaffUser.email) == email.strip().lower())
        )
        valid = verify_password(user.password_hash if user else None, password)
        if user is None or not valid or not user.is_active:
            raise DomainError("INVALID_CREDENTIALS", "Email or password is wrong.", ["email"])
        user.last_login_at = datetime.now(UTC)
        token, expires_at = issue_token(
            secret, "staff", user.id, user.token_version, STAFF_TOKEN_TTL
        )
        return SignedIn(token=token, expires_at=expires_at, subject_id=user.id)
