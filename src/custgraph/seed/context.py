"""What every generator of a seeding run shares: the random stream, the clock, the pools."""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from custgraph.seed.catalog import Product
from custgraph.seed.ids import IdAllocator
from custgraph.seed.pools import CountryPool
from custgraph.seed.staff import StaffMember


@dataclass(slots=True)
class SeedContext:
    rng: random.Random
    # The end of the generated history; nothing seeded happens after it.
    now: datetime
    currency: str
    ids: IdAllocator
    pools: Mapping[str, CountryPool]
    phone_prefixes: Mapping[str, tuple[str, ...]]
    products: tuple[Product, ...]
    staff: tuple[StaffMember, ...]
    # custom field key -> definition id, for the definitions whose type the seeder expects
    custom_fields: Mapping[str, int]
    gift_card_codes: set[str] = field(default_factory=set)

    def chance(self, probability: float) -> bool:
        """True with the given probability."""
        return self.rng.random() < probability

    def moment(self, start: datetime, end: datetime | None = None) -> datetime:
        """A whole-second moment between `start` and `end` (default: now), both included."""
        stop = self.now if end is None else end
        span = int((stop - start).total_seconds())
        if span <= 0:
            return start
        return start + timedelta(seconds=self.rng.randint(0, span))

    def soon_after(self, start: datetime, max_seconds: int) -> datetime:
        """A moment up to `max_seconds` after `start`, never after now."""
        return min(start + timedelta(seconds=self.rng.randint(1, max_seconds)), self.now)
