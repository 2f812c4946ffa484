"""Custom field definitions the seeder relies on, and values in their canonical text form.

Canonical forms: TEXT as is, INTEGER as decimal digits, DECIMAL with two places
(`25000.00`), DATE as ISO 8601 (`2024-03-01`), BOOLEAN as `true` / `false`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from custgraph.seed.batch import RowBatch
from custgraph.seed.context import SeedContext
from custgraph.seed.customers import CustomerProfile
from custgraph.seed.ids import IdAllocator
from custgraph.seed.places import fill_digits
from custgraph.seed.tables import CUSTOM_FIELD_DEFINITIONS

# key -> (label, type, description)
FIELD_DEFINITIONS: dict[str, tuple[str, str, str]] = {
    "vat_number": ("VAT number", "TEXT", "VAT identification number of a business customer"),
    "loyalty_tier_since": ("Loyalty tier since", "DATE", "When the customer reached their level"),
    "newsletter_opt_in": ("Newsletter opt-in", "BOOLEAN", "Consent to receive the newsletter"),
    "annual_budget": ("Annual budget", "DECIMAL", "Expected yearly purchasing budget"),
    "employees": ("Employees", "INTEGER", "Head count of the customer's company"),
}
_BUDGETS = tuple(Decimal(units) for units in (5000, 12000, 25000, 50000, 120000, 250000))
_HEAD_COUNTS = ((1, 9), (10, 49), (50, 249), (250, 4999))


async def ensure_field_definitions(
    connection: AsyncConnection, ids: IdAllocator, now: datetime
) -> tuple[dict[str, int], int]:
    """Create the missing definitions; return key -> id of the usable ones and how many were new.

    A definition that already exists with another type is left alone and gets no values.
    """
    result = await connection.execute(
        select(
            CUSTOM_FIELD_DEFINITIONS.c.key,
            CUSTOM_FIELD_DEFINITIONS.c.id,
            CUSTOM_FIELD_DEFINITIONS.c.type,
        ).where(CUSTOM_FIELD_DEFINITIONS.c.key.in_(FIELD_DEFINITIONS))
    )
    existing = {row.key: (row.id, row.type) for row in result}
    usable = {
        key: definition_id
        for key, (definition_id, type_) in existing.items()
        if FIELD_DEFINITIONS[key][1] == type_
    }
    created_at = now - timedelta(days=6 * 365)
    rows: list[dict[str, Any]] = []
    for key, (label, type_, description) in FIELD_DEFINITIONS.items():
        if key in existing:
            continue
        usable[key] = ids.take("custom_field_definitions")
        rows.append(
            {
                "id": usable[key],
                "key": key,
                "label": label,
                "type": type_,
                "description": description,
                "created_at": created_at,
            }
        )
    if rows:
        await connection.execute(insert(CUSTOM_FIELD_DEFINITIONS), rows)
    return usable, len(rows)


def _values(ctx: SeedContext, profile: CustomerProfile) -> dict[str, str]:
    rng = ctx.rng
    values: dict[str, str] = {}
    vat_pattern = profile.country.vat_number_pattern
    if profile.is_b2b and vat_pattern is not None and ctx.chance(0.9):
        values["vat_number"] = fill_digits(vat_pattern, rng)
    if profile.is_b2b and ctx.chance(0.6):
        values["annual_budget"] = f"{rng.choice(_BUDGETS):.2f}"
    if profile.is_b2b and ctx.chance(0.5):
        low, high = rng.choice(_HEAD_COUNTS)
        values["employees"] = str(rng.randint(low, high))
    if profile.level in ("Gold", "Platinum"):
        values["loyalty_tier_since"] = ctx.moment(profile.registered_at).date().isoformat()
    if "newsletter" in profile.tags:
        values["newsletter_opt_in"] = "true"
    elif ctx.chance(0.3):
        values["newsletter_opt_in"] = "false"
    return values


def draw_custom_field_values(ctx: SeedContext, profile: CustomerProfile, batch: RowBatch) -> None:
    """Append the customer's custom field values for the usable definitions."""
    for key, value in _values(ctx, profile).items():
        definition_id = ctx.custom_fields.get(key)
        if definition_id is not None:
            batch.custom_field_values.append(
                {
                    "customer_id": profile.id,
                    "definition_id": definition_id,
                    "value": value,
                    "updated_at": ctx.moment(profile.registered_at),
                }
            )
