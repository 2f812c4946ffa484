"""Names, streets and companies per country, drawn from Faker once and reused.

A Faker call costs tens of microseconds and a seeded customer needs about ten of them;
drawing a few thousand values per country once and then picking from them with the
seeded `random.Random` keeps 100,000 customers fast and just as varied to the eye.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from faker import Faker

from custgraph.seed.places import COUNTRIES

FIRST_NAMES_PER_GENDER = 400
LAST_NAMES = 800
STREETS = 600
COMPANIES = 250


@dataclass(frozen=True, slots=True)
class CountryPool:
    female_first_names: tuple[str, ...]
    male_first_names: tuple[str, ...]
    last_names: tuple[str, ...]
    streets: tuple[str, ...]
    companies: tuple[str, ...]


def _draw(provider: Callable[[], object], count: int) -> tuple[str, ...]:
    # Duplicates are dropped so that frequent Faker values are not over-represented twice.
    return tuple(dict.fromkeys(str(provider()) for _ in range(count)))


@lru_cache(maxsize=4)
def country_pools(seed: int) -> Mapping[str, CountryPool]:
    """The pools for every seeded country, keyed by ISO country code; cached per seed."""
    pools: dict[str, CountryPool] = {}
    for country in COUNTRIES:
        fake = Faker(country.faker_locale)
        fake.seed_instance(f"{seed}:{country.code}")
        pools[country.code] = CountryPool(
            female_first_names=_draw(fake.first_name_female, FIRST_NAMES_PER_GENDER),
            male_first_names=_draw(fake.first_name_male, FIRST_NAMES_PER_GENDER),
            last_names=_draw(fake.last_name, LAST_NAMES),
            streets=_draw(fake.street_name, STREETS),
            companies=_draw(fake.company, COMPANIES),
        )
    return pools
