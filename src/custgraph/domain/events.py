"""The activity log: one entry per change, in the change's own transaction."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from custgraph.db.models import CustomerEvent
from custgraph.domain.actors import Actor
from custgraph.domain.changes import note_event_change


def change(field: str, old: Any, new: Any) -> dict[str, Any]:
    """One field's change, with values as text (as the log shows them)."""
    return {
        "field": field,
        "old": None if old is None else str(old),
        "new": None if new is None else str(new),
    }


def record_event(
    session: AsyncSession,
    customer_id: int,
    type: str,
    actor: Actor,
    message: str,
    changes: Sequence[dict[str, Any]] = (),
    request_id: str | None = None,
) -> None:
    """Log an entry on the customer's activity log, and the change it is in the feed."""
    note_event_change(session, customer_id, type, actor, changes, request_id)
    session.add(
        CustomerEvent(
            customer_id=customer_id,
            type=type,
            message=message,
            changes=list(changes),
            request_id=request_id,
            **actor.columns(),
        )
    )
