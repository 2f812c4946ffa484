"""Who the seeded history says did something (the `actor_*` columns)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Actor:
    type: str  # STAFF, API_KEY, CUSTOMER or SYSTEM
    id: int | None
    label: str

    def columns(self) -> dict[str, Any]:
        """The actor as the `actor_type`, `actor_id` and `actor_label` columns."""
        return {"actor_type": self.type, "actor_id": self.id, "actor_label": self.label}


SYSTEM = Actor("SYSTEM", None, "system")
# Customers carrying an ERP id were created by the ERP integration's API key.
ERP_CONNECTOR = Actor("API_KEY", None, "ERP connector")
