"""Partner API keys: creation (secret shown once) and revocation."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from custgraph.auth.api_keys import new_api_key_secret
from custgraph.auth.permissions import Permission
from custgraph.db.models import ApiKey
from custgraph.domain.errors import DomainError


@dataclass(frozen=True)
class CreatedApiKey:
    api_key: ApiKey
    secret: str  # the only time the secret exists outside the caller's hands


def checked_scopes(scopes: Sequence[str]) -> list[str]:
    known = {p.value for p in Permission}
    unknown = [s for s in scopes if s not in known]
    if unknown:
        raise DomainError("INVALID", f"Unknown scopes: {', '.join(unknown)}.", ["scopes"])
    if not scopes:
        raise DomainError("REQUIRED", "Give the key at least one scope.", ["scopes"])
    return sorted(set(scopes))


async def create_api_key(
    sessions: async_sessionmaker[AsyncSession],
    *,
    name: str,
    scopes: Sequence[str],
    created_by_id: int | None = None,
) -> CreatedApiKey:
    """Create a key with `scopes`; only the hash of its secret is stored."""
    name = name.strip()
    if not name:
        raise DomainError("REQUIRED", "Name the key after the integration using it.", ["name"])
    if len(name) > 100:
        raise DomainError("TOO_LONG", "Names have at most 100 characters.", ["name"])
    valid_scopes = checked_scopes(scopes)
    secret = new_api_key_secret()
    async with sessions.begin() as session:
        key = ApiKey(
            name=name,
            prefix=secret.prefix,
            secret_hash=secret.hash,
            scopes=valid_scopes,
            created_by_id=created_by_id,
        )
        session.add(key)
    return CreatedApiKey(api_key=key, secret=secret.secret)


async def revoke_api_key(sessions: async_sessionmaker[AsyncSession], api_key_id: int) -> ApiKey:
    """Revoke a key; requests with it are refused from now on."""
    async with sessions.begin() as session:
        key = await session.get(ApiKey, api_key_id)
        if key is None:
            raise DomainError("NOT_FOUND", "No such API key.", ["apiKeyId"])
        if key.revoked_at is None:
            key.revoked_at = datetime.now(UTC)
        return key
