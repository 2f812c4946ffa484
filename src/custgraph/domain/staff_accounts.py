"""Staff users: creation and sign-in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from custgraph.auth.passwords import hash_password, upgraded_hash, verify_password
from custgraph.auth.permissions import PRIVILEGED_ROLES
from custgraph.auth.tokens import issue_token
from custgraph.db.models import Role, StaffUser
from custgraph.domain.errors import DomainError
from custgraph.domain.sign_in_throttle import (
    forget_failures,
    record_failure,
    refuse_when_throttled,
    throttle_keys,
)
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
    actor_role: str | None = "OWNER",
    special_use_email_domains: bool = False,
) -> StaffUser:
    """Create a staff user with `role`; without a password the user cannot sign in yet.

    `actor_role` is the creator's role (the CLI acts as OWNER): only an OWNER may
    create OWNER or ADMIN users. `special_use_email_domains` allows `.local` and
    `.test` emails (the operator's setting).
    """
    if role in PRIVILEGED_ROLES and actor_role != "OWNER":
        raise DomainError("NOT_ALLOWED", "Only an OWNER may create OWNER or ADMIN users.", ["role"])
    address = normalized_email(email, special_use_domains=special_use_email_domains)
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
            password_hash=await hash_password(password) if password is not None else None,
        )
        session.add(user)
    return user


async def staff_login(
    sessions: async_sessionmaker[AsyncSession],
    secret: str,
    *,
    email: str,
    password: str,
    client_address: str | None = None,
) -> SignedIn:
    """A token for a staff user's email and password.

    Every failure gives the same INVALID_CREDENTIALS, and a missing account costs the
    same argon2 verification as a wrong password, so the answer never tells whether
    an email is registered. Repeated failures are throttled per account and address.
    """
    keys = throttle_keys("staff", email, client_address)
    async with sessions.begin() as session:
        await refuse_when_throttled(session, keys)
        user = await session.scalar(
            select(StaffUser).where(func.lower(StaffUser.email) == email.strip().lower())
        )
        valid = await verify_password(user.password_hash if user else None, password)
        if user is not None and valid and user.is_active:
            await forget_failures(session, keys)
            user.last_login_at = datetime.now(UTC)
            assert user.password_hash is not None  # it verified
            user.password_hash = await upgraded_hash(user.password_hash, password) or (
                user.password_hash
            )
            token, expires_at = issue_token(
                secret, "staff", user.id, user.token_version, STAFF_TOKEN_TTL
            )
            return SignedIn(token=token, expires_at=expires_at, subject_id=user.id)
    await record_failure(sessions, keys)
    raise DomainError("INVALID_CREDENTIALS", "Email or password is wrong.", ["email"])


@dataclass(frozen=True)
class StaffUserChanges:
    first_name: str | None = None
    last_name: str | None = None
    role: str | None = None
    is_active: bool | None = None
    password: str | None = None


async def update_staff_user(
    sessions: async_sessionmaker[AsyncSession],
    *,
    actor_role: str | None,
    actor_id: int | None,
    staff_user_id: int,
    changes: StaffUserChanges,
) -> StaffUser:
    """Change a staff user's name, role, activity or password.

    Only an OWNER may change OWNER or ADMIN users or hand out those roles. A password
    change or a deactivation ends the user's sessions (their tokens' version no longer
    matches). Nobody can deactivate or demote themselves, so an organisation cannot
    lock itself out by accident.
    """
    if changes.password is not None:
        checked_password(changes.password)
    async with sessions.begin() as session:
        user = await session.get(StaffUser, staff_user_id, with_for_update=True)
        if user is None:
            raise DomainError("NOT_FOUND", "No such staff user.", ["staffUserId"])
        privileged = user.role in PRIVILEGED_ROLES or changes.role in PRIVILEGED_ROLES
        if privileged and actor_role != "OWNER":
            raise DomainError(
                "NOT_ALLOWED", "Only an OWNER may change OWNER or ADMIN users.", ["role"]
            )
        if changes.role is not None and await session.get(Role, changes.role) is None:
            raise DomainError("INVALID", f"Unknown role {changes.role}.", ["role"])
        if user.id == actor_id and (
            changes.is_active is False or (changes.role and changes.role != user.role)
        ):
            raise DomainError(
                "NOT_ALLOWED", "You cannot deactivate yourself or change your own role.", ["role"]
            )
        if changes.first_name is not None:
            user.first_name = changes.first_name.strip()
        if changes.last_name is not None:
            user.last_name = changes.last_name.strip()
        if changes.role is not None:
            user.role = changes.role
        if changes.is_active is not None and changes.is_active != user.is_active:
            user.is_active = changes.is_active
            user.token_version += 1
        if changes.password is not None:
            user.password_hash = await hash_password(changes.password)
            user.token_version += 1
        user.updated_at = datetime.now(UTC)
    return user
