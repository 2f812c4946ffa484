"""Whether whoever asked for a job may still have it done: checked before each step."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from custgraph.db.models import ApiKey, Role, StaffUser
from custgraph.jobs.claim import ClaimedJob


async def owner_refusal(session: AsyncSession, job: ClaimedJob) -> str | None:
    """Why the job's owner may no longer run it (deactivated, revoked, a permission
    taken away since), or None. Jobs the system asked for (the CLI) always may."""
    needed = set(job.required_permissions)
    if job.owner_type == "STAFF":
        row = (
            await session.execute(
                select(StaffUser.is_active, Role.permissions)
                .join(Role, Role.name == StaffUser.role)
                .where(StaffUser.id == job.owner_id)
            )
        ).first()
        if row is None or not row.is_active:
            return "The staff user who started the job is deactivated."
        missing = needed - set(row.permissions or ())
    elif job.owner_type == "API_KEY":
        key = (
            await session.execute(
                select(ApiKey.revoked_at, ApiKey.scopes).where(ApiKey.id == job.owner_id)
            )
        ).first()
        if key is None or key.revoked_at is not None:
            return "The API key that started the job is revoked."
        missing = needed - set(key.scopes or ())
    elif job.owner_type == "SYSTEM":
        return None
    else:
        return f"A {job.owner_type} cannot run jobs."
    if missing:
        return f"Whoever started the job no longer holds {', '.join(sorted(missing))}."
    return None
