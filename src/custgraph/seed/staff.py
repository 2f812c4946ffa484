"""The sales reps who own B2B accounts and write notes in the seeded history."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from custgraph.seed.actors import Actor
from custgraph.seed.ids import IdAllocator
from custgraph.seed.pools import country_pools
from custgraph.seed.tables import STAFF_USERS

MANAGER_COUNT = 3
_REP_EMAIL = re.compile(r"rep\d+@custgraph\.example")
# Reps are drawn from the pools of the countries the shop has branches in.
_REP_COUNTRIES = ("DE", "DE", "AT", "FR", "GB", "DE", "CH", "NL")


@dataclass(frozen=True, slots=True)
class StaffMember:
    id: int
    first_name: str
    last_name: str

    @property
    def actor(self) -> Actor:
        """The staff member as the author of an entry."""
        return Actor("STAFF", self.id, f"{self.first_name} {self.last_name}")


async def load_or_create_sales_reps(
    connection: AsyncConnection, ids: IdAllocator, seed: int, now: datetime
) -> tuple[tuple[StaffMember, ...], int]:
    """The `rep{n}@custgraph.example` staff users, created first if none exist yet.

    Returns the reps and how many were created.
    """
    result = await connection.execute(
        select(
            STAFF_USERS.c.id,
            STAFF_USERS.c.email,
            STAFF_USERS.c.first_name,
            STAFF_USERS.c.last_name,
        )
        .where(func.lower(STAFF_USERS.c.email).like("rep%@custgraph.example"))
        .order_by(STAFF_USERS.c.id)
    )
    existing = tuple(
        StaffMember(row.id, row.first_name, row.last_name)
        for row in result
        if _REP_EMAIL.fullmatch(row.email.lower())
    )
    if existing:
        return existing, 0

    # A separate stream, so the customers drawn later do not depend on whether reps existed.
    rng = random.Random(f"custgraph-staff:{seed}")
    pools = country_pools(seed)
    joined = now - timedelta(days=6 * 365)
    rows: list[dict[str, Any]] = []
    reps: list[StaffMember] = []
    for number, country in enumerate(_REP_COUNTRIES, start=1):
        pool = pools[country]
        first_names = pool.female_first_names if number % 2 else pool.male_first_names
        rep = StaffMember(
            ids.take("staff_users"), rng.choice(first_names), rng.choice(pool.last_names)
        )
        reps.append(rep)
        rows.append(
            {
                "id": rep.id,
                "email": f"rep{number}@custgraph.example",
                "first_name": rep.first_name,
                "last_name": rep.last_name,
                "role": "MANAGER" if number <= MANAGER_COUNT else "SUPPORT",
                # No password: reps exist to own accounts; an admin sets one if they sign in.
                "password_hash": None,
                "is_active": True,
                "token_version": 1,
                "created_at": joined,
                "updated_at": joined,
                "last_login_at": None,
            }
        )
    await connection.execute(insert(STAFF_USERS), rows)
    return tuple(reps), len(rows)
