"""Who asks a domain function to act, as the domain needs to know it."""

from __future__ import annotations

from dataclasses import dataclass

from custgraph.auth.principal import Principal
from custgraph.domain.actors import Actor, actor_of


@dataclass(frozen=True)
class Caller:
    actor: Actor
    principal_key: str  # scopes idempotency keys to one caller
    request_id: str | None = None
    customer_id: int | None = None  # set when a customer acts for themselves

    @classmethod
    def of(cls, principal: Principal, request_id: str | None = None) -> Caller:
        return cls(actor_of(principal), principal.key, request_id, principal.customer_id)
