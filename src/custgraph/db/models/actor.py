"""Who did something, as recorded on ledger entries, notes and events."""

from __future__ import annotations

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column


class ActorColumns:
    """The actor's kind, id and a label kept as it was, so the log survives renames and deletes."""

    actor_type: Mapped[str] = mapped_column(String(16), default="SYSTEM")
    actor_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    actor_label: Mapped[str] = mapped_column(String(200), default="system")
