"""Resolve the caller of a request from its Authorization header, once per request."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import BigInteger, Text, bindparam, literal_column, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from custgraph.auth.api_keys import secret_matches, split_api_key
from custgraph.auth.permissions import Permission
from custgraph.auth.principal import (
    ANONYMOUS,
    CUSTOMER_SELF_PERMISSIONS,
    Principal,
    PrincipalKind,
)
from custgraph.auth.staff_sessions import STATE_SQL, RememberedSession, StaffSessions
from custgraph.auth.tokens import InvalidToken, looks_like_jwt, read_token
from custgraph.db.direct import direct
from custgraph.db.models import ApiKey, Customer, Role, StaffUser
from custgraph.db.reader import Reader

# Statuses that may hold a session. UNVERIFIED customers get none: they can only
# complete verification, which needs no session.
SIGN_IN_STATUSES = frozenset({"ACTIVE"})
# last_used_at is written at most this often, not on every request.
API_KEY_TOUCH_INTERVAL = timedelta(minutes=1)


class AuthenticationFailed(Exception):
    """The credentials were present but not valid; the request gets UNAUTHENTICATED."""


def _permissions(values: list[str]) -> frozenset[Permission]:
    return _permission_set(tuple(values))


@lru_cache(maxsize=64)
def _permission_set(values: tuple[str, ...]) -> frozenset[Permission]:
    """A role's permissions (a handful of distinct lists): made once, not per request."""
    known = {p.value for p in Permission}
    return frozenset(Permission(v) for v in values if v in known)


async def authenticate(
    reader: Reader,
    engine: AsyncEngine,
    secret: str,
    authorization: str | None,
    client_address: str | None,
    sessions: StaffSessions | None = None,
) -> Principal:
    """The principal of a request; its lookups run on the request's read connection.
    A staff session looked up is remembered in `sessions` (see auth/staff_sessions.py).

    The look-up's connection is back in the pool when this returns or raises: what the
    request does next (the rate limit's bucket, an API key's touch) takes a connection
    of the same pool, and a request that waits for one while holding another deadlocks
    with its peers once the pool is spent (issue #15).
    """
    try:
        return await _principal(reader, engine, secret, authorization, client_address, sessions)
    finally:
        await reader.release_idle()


async def _principal(
    reader: Reader,
    engine: AsyncEngine,
    secret: str,
    authorization: str | None,
    client_address: str | None,
    sessions: StaffSessions | None,
) -> Principal:
    if not authorization:
        return Principal(kind=PrincipalKind.ANONYMOUS, client_address=client_address)
    scheme, _, credentials = authorization.partition(" ")
    credentials = credentials.strip()
    if scheme.lower() != "bearer" or not credentials:
        raise AuthenticationFailed("Use `Authorization: Bearer <token or API key>`.")
    if looks_like_jwt(credentials):
        try:
            claims = read_token(secret, credentials)
        except InvalidToken:
            raise AuthenticationFailed("The token is invalid or has expired.") from None
        if claims.kind == "staff":
            return await _staff(
                reader, claims.subject_id, claims.token_version, client_address, sessions
            )
        return await _customer(reader, claims.subject_id, claims.token_version, client_address)
    return await _api_key(reader, engine, credentials, client_address)


def remembered_staff(
    secret: str,
    authorization: str | None,
    client_address: str | None,
    sessions: StaffSessions,
) -> tuple[Principal, RememberedSession] | None:
    """The principal of a staff token's session as last looked up, and the session; None
    when there is nothing remembered to go by (then `authenticate`). The principal holds
    only once a statement of the request has confirmed the session."""
    scheme, _, credentials = (authorization or "").partition(" ")
    credentials = credentials.strip()
    if scheme.lower() != "bearer" or not looks_like_jwt(credentials):
        return None
    try:
        claims = read_token(secret, credentials)
    except InvalidToken:
        return None  # authenticate words the refusal
    if claims.kind != "staff":
        return None
    session = sessions.get(claims.subject_id, claims.token_version)
    if session is None:
        return None
    return session.principal_at(client_address), session


# Built once: building the statement per request cost as much as running it.
_STAFF_COLUMNS = (
    StaffUser.id,
    StaffUser.email,
    StaffUser.first_name,
    StaffUser.last_name,
    StaffUser.role,
    StaffUser.is_active,
    StaffUser.token_version,
    Role.permissions,
)


def _staff_session(*extra: Any) -> Any:
    return direct(
        select(*_STAFF_COLUMNS, *extra)
        .join(Role, Role.name == StaffUser.role)
        .where(StaffUser.id == bindparam("staff_id", type_=BigInteger()))
    )


_STAFF_SESSION = _staff_session()
# Where the session can be confirmed later by a statement carrying a check (PostgreSQL,
# on the driver), the look-up also reads the row's text to compare it with.
_STAFF_SESSION_WITH_STATE = _staff_session(literal_column(STATE_SQL, Text()).label("state"))


async def _staff(
    reader: Reader,
    staff_id: int,
    token_version: int,
    client_address: str | None,
    sessions: StaffSessions | None,
) -> Principal:
    remembering = sessions is not None and reader.can_carry
    statement = _STAFF_SESSION_WITH_STATE if remembering else _STAFF_SESSION
    rows = await reader.all(statement, {"staff_id": staff_id})
    row = rows[0] if rows else None
    if row is None or not row.is_active or row.token_version != token_version:
        raise AuthenticationFailed("The token is invalid or has expired.")
    name = f"{row.first_name} {row.last_name}".strip() or row.email
    principal = Principal(
        kind=PrincipalKind.STAFF,
        id=row.id,
        label=name,
        role=row.role,
        permissions=_permissions(row.permissions),
    )
    if remembering:
        assert sessions is not None
        sessions.remember(RememberedSession(principal, token_version, row.state))
    return replace(principal, client_address=client_address)


async def _customer(
    reader: Reader, customer_id: int, token_version: int, client_address: str | None
) -> Principal:
    rows = await reader.all(
        select(
            Customer.id,
            Customer.reference,
            Customer.first_name,
            Customer.last_name,
            Customer.status,
            Customer.token_version,
        ).where(Customer.id == customer_id)
    )
    row = rows[0] if rows else None
    if row is None or row.status not in SIGN_IN_STATUSES or row.token_version != token_version:
        raise AuthenticationFailed("The token is invalid or has expired.")
    return Principal(
        kind=PrincipalKind.CUSTOMER,
        id=row.id,
        label=f"{row.first_name} {row.last_name}".strip() or row.reference,
        permissions=CUSTOMER_SELF_PERMISSIONS,
        client_address=client_address,
    )


async def _api_key(
    reader: Reader, engine: AsyncEngine, token: str, client_address: str | None
) -> Principal:
    prefix = split_api_key(token)
    if prefix is None:
        raise AuthenticationFailed("The token or API key is invalid.")
    rows = await reader.all(
        select(
            ApiKey.id,
            ApiKey.name,
            ApiKey.secret_hash,
            ApiKey.scopes,
            ApiKey.revoked_at,
            ApiKey.last_used_at,
        ).where(ApiKey.prefix == prefix)
    )
    row = rows[0] if rows else None
    if row is None or row.revoked_at is not None or not secret_matches(row.secret_hash, token):
        raise AuthenticationFailed("The token or API key is invalid.")
    now = datetime.now(UTC)
    if row.last_used_at is None or now - row.last_used_at > API_KEY_TOUCH_INTERVAL:
        # Not while holding the look-up's connection: the touch takes one of the same pool.
        await reader.release_idle()
        async with engine.begin() as connection:
            await connection.execute(
                update(ApiKey).where(ApiKey.id == row.id).values(last_used_at=now)
            )
    return Principal(
        kind=PrincipalKind.API_KEY,
        id=row.id,
        label=row.name,
        permissions=_permissions(row.scopes),
        client_address=client_address,
    )


__all__ = ["ANONYMOUS", "AuthenticationFailed", "authenticate", "remembered_staff"]
