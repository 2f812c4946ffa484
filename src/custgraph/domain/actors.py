"""Turning the caller into the actor columns recorded on ledgers, notes and events."""

from __future__ import annotations

from dataclasses import dataclass

from custgraph.auth.principal import Principal, PrincipalKind


@dataclass(frozen=True)
class Actor:
    type: str
    id: int | None
    label: str

    def columns(self) -> dict[str, object]:
        return {"actor_type": self.type, "actor_id": self.id, "actor_label": self.label}


SYSTEM = Actor("SYSTEM", None, "system")


def actor_of(principal: Principal) -> Actor:
    if principal.kind is PrincipalKind.ANONYMOUS:
        return SYSTEM
    return Actor(principal.kind.value, principal.id, principal.label)
