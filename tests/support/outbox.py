"""Reading what the outbox holds, to follow emailed links in tests."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from custgraph.db.models import OutboxMessage
from tests.support.truth import fetch

_TOKEN = re.compile(r"[?&]token=([A-Za-z0-9_\-]+)")


async def latest_link_token(engine: AsyncEngine, recipient: str, subject_part: str) -> str:
    """The token of the newest queued message to `recipient` whose subject has `subject_part`."""
    rows = await fetch(
        engine,
        select(OutboxMessage.subject, OutboxMessage.body)
        .where(OutboxMessage.recipient == recipient)
        .order_by(OutboxMessage.id.desc()),
    )
    for row in rows:
        if subject_part.lower() in row.subject.lower():
            match = _TOKEN.search(row.body)
            assert match, row.body
            return match.group(1)
    raise AssertionError(f"no message about {subject_part!r} to {recipient}")
