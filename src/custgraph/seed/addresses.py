"""Postal addresses: a home address in the customer's country, sometimes more, one default each."""

from __future__ import annotations

from datetime import datetime

from custgraph.seed.batch import Row
from custgraph.seed.context import SeedContext
from custgraph.seed.customers import CustomerProfile
from custgraph.seed.phones import mobile_number
from custgraph.seed.places import COUNTRIES, COUNTRY_WEIGHTS, Country

ADDRESS_COUNTS = (1, 2, 3)
ADDRESS_COUNT_WEIGHTS = (55, 30, 15)


def _house_number(ctx: SeedContext, country: Country) -> str:
    rng = ctx.rng
    if country.code == "US":
        return str(rng.randint(100, 9999))
    number = str(rng.randint(1, 180))
    if country.code in ("DE", "AT", "CH", "NL") and ctx.chance(0.08):
        number += rng.choice("ab")
    return number


def _address(
    ctx: SeedContext,
    profile: CustomerProfile,
    country: Country,
    *,
    for_customer: bool,
    created_at: datetime,
) -> Row:
    rng = ctx.rng
    pool = ctx.pools[country.code]
    city = (
        profile.city if country is profile.country and for_customer else rng.choice(country.cities)
    )
    if for_customer:
        salutation = profile.salutation
        first_name, last_name, company = profile.first_name, profile.last_name, profile.company
    else:
        # Someone the customer ships to: a relative, a friend, an office.
        salutation = None
        female = ctx.chance(0.5)
        first_name = rng.choice(pool.female_first_names if female else pool.male_first_names)
        last_name = rng.choice(pool.last_names) if ctx.chance(0.6) else profile.last_name
        company = None
    phone: str | None = None
    if ctx.chance(0.3):
        same_country = country is profile.country and for_customer
        phone = (
            profile.phone if same_country else mobile_number(ctx.phone_prefixes[country.code], rng)
        )
    return {
        "id": ctx.ids.take("addresses"),
        "customer_id": profile.id,
        "salutation": salutation,
        "first_name": first_name,
        "last_name": last_name,
        "company": company,
        "line1": country.line1_format.format(
            street=rng.choice(pool.streets), number=_house_number(ctx, country)
        ),
        "line2": rng.choice(country.line2_examples) if ctx.chance(0.3) else None,
        "line3": "Attn: Accounts Payable" if company and ctx.chance(0.2) else None,
        "postal_code": city.postal_code(rng),
        "city": city.name,
        "region": city.region,
        "country": country.code,
        "phone": phone,
        "is_default_billing": False,
        "is_default_shipping": False,
        "created_at": created_at,
        "updated_at": ctx.moment(created_at) if ctx.chance(0.2) else created_at,
    }


def draw_addresses(ctx: SeedContext, profile: CustomerProfile) -> list[Row]:
    """Up to three addresses; with any, exactly one is default billing and one default shipping."""
    rng = ctx.rng
    # Most fresh, unverified sign-ups have not entered an address yet.
    if profile.status == "UNVERIFIED" and ctx.chance(0.6):
        return []
    count = rng.choices(ADDRESS_COUNTS, weights=ADDRESS_COUNT_WEIGHTS)[0]
    # The home address was entered at registration, the others later on.
    home_entered_at = ctx.soon_after(profile.registered_at, 3600)
    rows = [_address(ctx, profile, profile.country, for_customer=True, created_at=home_entered_at)]
    for _ in range(count - 1):
        abroad = ctx.chance(0.25)
        country = rng.choices(COUNTRIES, weights=COUNTRY_WEIGHTS)[0] if abroad else profile.country
        rows.append(
            _address(
                ctx,
                profile,
                country,
                for_customer=ctx.chance(0.6),
                created_at=ctx.moment(profile.registered_at),
            )
        )
    rows[0]["is_default_billing"] = True
    shipping = rows[0] if len(rows) == 1 or ctx.chance(0.6) else rng.choice(rows[1:])
    shipping["is_default_shipping"] = True
    return rows
