"""Append-only ledgers (points, credit, gift cards): movements in time order, balances after each.

The rules the architecture sets for every ledger: a balance never goes below zero, and
the owner's balance column equals the newest entry's `balance_after`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from custgraph.seed.actors import Actor


@dataclass(frozen=True, slots=True)
class Movement:
    at: datetime
    amount: int  # points or cents; negative takes value out
    reason: str
    actor: Actor
    source: str = "ADJUSTMENT"
    # A withdrawal larger than the balance takes what is there (a gift card paying part of
    # an order) when True, and is dropped (a voucher that needs 1,000 points) when False.
    partial: bool = True


@dataclass(frozen=True, slots=True)
class Settled:
    movement: Movement
    amount: int
    balance_after: int


def settle(movements: list[Movement]) -> list[Settled]:
    """Apply the movements oldest first, capping or dropping withdrawals the balance can't cover."""
    balance = 0
    entries: list[Settled] = []
    # Stable on ties: movements drawn for the same second keep the order they were drawn in.
    for movement in sorted(movements, key=lambda m: m.at):
        amount = movement.amount
        if amount < 0 and -amount > balance:
            if not movement.partial:
                continue
            amount = -balance
        if amount == 0:
            continue
        balance += amount
        entries.append(Settled(movement, amount, balance))
    return entries
