"""Mobile numbers that `phonenumbers` accepts as valid for the customer's country.

Validating every generated number would cost more than building the rest of the customer.
Mobile ranges are decided by the leading digits, so a few dozen validated prefixes per
country are drawn once; a customer's number is such a prefix plus four random digits.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from functools import lru_cache

import phonenumbers
from phonenumbers import PhoneNumberType

from custgraph.seed.places import COUNTRIES

PREFIXES_PER_COUNTRY = 40
_MAX_ATTEMPTS = 5000
# A prefix is kept only if it is valid with each of these endings.
_PROBE_SUFFIXES = ("0000", "4821", "9999")
_MOBILE_TYPES = frozenset({PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE})


def _is_valid_mobile(e164: str, region: str) -> bool:
    number = phonenumbers.parse(e164)
    # For the region, not just the calling code: +1 is shared by the US, Canada and others.
    return phonenumbers.is_valid_number_for_region(number, region) and (
        phonenumbers.number_type(number) in _MOBILE_TYPES
    )


def _prefixes_for(region: str, rng: random.Random) -> tuple[str, ...]:
    example = phonenumbers.example_number_for_type(region, PhoneNumberType.MOBILE)
    assert example is not None, f"no example mobile number for {region}"
    national = str(example.national_number)
    head = f"+{example.country_code}{national[0]}"
    free_digits = len(national) - 1 - len(_PROBE_SUFFIXES[0])
    # The example's own prefix is always valid, so the pool is never empty.
    found = {f"+{example.country_code}{national[:-4]}"}
    for _ in range(_MAX_ATTEMPTS):
        if len(found) >= PREFIXES_PER_COUNTRY:
            break
        candidate = head + "".join(str(rng.randrange(10)) for _ in range(free_digits))
        if all(_is_valid_mobile(candidate + suffix, region) for suffix in _PROBE_SUFFIXES):
            found.add(candidate)
    return tuple(sorted(found))


@lru_cache(maxsize=4)
def mobile_prefixes(seed: int) -> Mapping[str, tuple[str, ...]]:
    """E.164 mobile prefixes lacking their last four digits, keyed by ISO country code."""
    rng = random.Random(f"custgraph-phones:{seed}")
    return {country.code: _prefixes_for(country.code, rng) for country in COUNTRIES}


def mobile_number(prefixes: tuple[str, ...], rng: random.Random) -> str:
    """A valid E.164 mobile number from one of the country's prefixes."""
    return f"{rng.choice(prefixes)}{rng.randrange(10000):04d}"
